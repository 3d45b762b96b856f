"""Personal data in free text (个人信息): resident ID numbers and mobile numbers, masked where they appear.

Used by the log processor (logs.py) as the last line of defence, and by rules whose messages must
name a person's document, so that the message can travel (ledger, notices, status) without the number
in clear: the applicant still recognises `4300**********0088`.
"""

from __future__ import annotations

import re

# Resident ID numbers (18 characters, GB 11643; a 从业资格证 number is usually the holder's) and mainland
# mobile numbers, wherever they appear.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(text: str) -> str:
    """`text` with every ID number kept to its first and last four characters, every mobile number to
    its first three and last four."""
    text = _ID_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)
    return _MOBILE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)
