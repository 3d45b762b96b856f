"""Input is canonical before it is stored: what a case holds is what every reader of it sees.

Each refusal is a 422 naming the field, and nothing is started. Width is normalised where the field is
made of ASCII letters and digits (a phone typed with a Chinese input method is the same phone), so
such a submission is the same submission as its ASCII spelling.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from domain.case import check_free_text, check_plate, hidden_in_document
from tests.factories import CLASS_III, CLASS_III_TASKS
from tests.portal.conftest import Portal, application
from workflows.client import case_id_for

CASES = "/api/v1/cases"


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(document)
    *parents, leaf = path.split(".")
    target = data
    for part in parents:
        target = target[part]
    target[leaf] = value
    return data


REFUSED = [
    ("agent.phone", "13٨00138000"),  # Arabic-Indic digit eight
    ("agent.phone", "1380013800０\u200b"),
    ("agent.id_number", "11010519491231002X".replace("0", "٠")),
    ("tractor_plate", "中AD1234"),  # 中 is no province
    ("trailer_plate", "XA5678挂"),
    ("agent.name", "\u200b\u200b\u200b"),  # zero-width spaces only
    ("agent.name", "\u202e人办经"),  # right-to-left override
    ("agent.name", "\x00"),
    ("agent.name", "测试\n经办人"),  # a name is one line
    ("request.cargo.name", "主梁\u2066"),  # free text of the matter's own model, by the shared check
]


@pytest.mark.parametrize(("field", "value"), REFUSED, ids=[f"{f}={v!a}" for f, v in REFUSED])
async def test_each_non_canonical_field_is_422_naming_it_and_starts_nothing(
    portal: Portal, field: str, value: str
):
    document = changed(application(CLASS_III), field, value)
    response = await portal.http.post(CASES, json=document, headers=portal.auth("portal"))
    assert response.status_code == 422, response.text
    assert field in [p["field"] for p in response.json()["detail"]]
    assert not await portal.exists(case_id_for(document["matter"], document["submission_id"]))


async def test_full_width_digits_and_letters_are_stored_as_ascii(portal: Portal):
    document = application(CLASS_III)
    # The plate as a full-width keyboard types it (湘ＡＶ０００３ for 湘AV0003).
    plate = document["tractor_plate"].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    full_width = changed(changed(document, "agent.phone", "１３８００１３８０００"), "tractor_plate", plate)
    first = await portal.submit(full_width)
    # The ASCII spelling is the same submission: the stored case holds ASCII.
    assert await portal.submit(document, expected=200) == first


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", None),
        ("application/x-www-form-urlencoded", b"matter=oversize-transport"),
        ("application/xml", b"<case/>"),
        ("multipart/form-data; boundary=x", b"--x\r\n\r\n{}\r\n--x--\r\n"),
        (None, None),
    ],
)
async def test_a_body_that_is_not_declared_json_is_415(portal: Portal, content_type: str | None, body: Any):
    document = application(CLASS_III)
    headers = {**portal.auth("portal")}
    if content_type:
        headers["Content-Type"] = content_type
    content = body if body is not None else json.dumps(document).encode()
    response = await portal.http.post(CASES, content=content, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["detail"][0]["field"] == "content-type"
    assert not await portal.exists(case_id_for(document["matter"], document["submission_id"]))


async def test_an_opinion_reason_with_a_direction_override_is_422(portal: Portal):
    case = await portal.submit(application(CLASS_III))
    await portal.wait_for(case["case_id"], case["applicant_token"], open_tasks=CLASS_III_TASKS)
    url = f"{CASES}/{case['case_id']}/opinions"
    bad = {"task_id": "review:highway", "approve": False, "reason": "不符合\u202e要求"}
    response = await portal.http.post(url, json=bad, headers=portal.auth("officer:highway"))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "reason"
    status = await portal.status(case["case_id"], case["applicant_token"])
    assert sorted(t["task_id"] for t in status["open_tasks"]) == CLASS_III_TASKS


def test_free_text_keeps_its_lines_and_refuses_hidden_characters():
    assert check_free_text("第一行\r\n第二行\t完") == "第一行\n第二行\t完"
    for hidden in ("\u200b", "\u202e", "\ufeff", "\x07", "\ud800"):
        with pytest.raises(ValueError, match="control or format"):
            check_free_text(f"理由{hidden}")


def test_plates_are_canonical():
    assert check_plate("湘ａ·ｄ1234") == "湘AD1234"
    with pytest.raises(ValueError, match="province"):
        check_plate("中AD1234")


def test_every_hidden_character_of_a_document_is_named_by_its_path():
    document = {"a": ["ok", "x\u200b"], "b": {"c\x00": "y", "d": "\u2067"}}
    assert hidden_in_document(document) == [("a.1", "U+200B"), ("b.c\x00", "U+0000"), ("b.d", "U+2067")]
