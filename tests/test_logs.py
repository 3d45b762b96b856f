"""Personal data never reaches a log line, even when code passes it by mistake."""

from __future__ import annotations

import json

import pytest
import structlog

from logs import configure_logging, mask_text


def test_id_numbers_and_mobiles_are_masked_in_text():
    masked = mask_text("经办人 11010519491231002X 电话 13800138000")
    assert masked == "经办人 1101**********002X 电话 138****8000"
    assert mask_text("case oversize-transport-T-1 seq 12345") == "case oversize-transport-T-1 seq 12345"


@pytest.fixture
def json_logging():
    configure_logging()
    yield
    structlog.reset_defaults()


def test_a_log_event_is_one_json_line_with_personal_fields_masked(capsys, json_logging):
    log = structlog.get_logger("test")
    log.info(
        "opinion recorded",
        case_id="oversize-transport-S1",
        step="审核",
        agent={"name": "测试经办人甲", "id_number": "11010519491231002X"},
        note="call 13800138000",
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["case_id"] == "oversize-transport-S1" and event["step"] == "审核"
    assert event["agent"] == "***"
    assert event["note"] == "call 138****8000"
    assert "11010519491231002X" not in lines[0] and "测试经办人甲" not in lines[0]
