"""The case messages beyond `decide` as thin clients of the portal (portal/actions.py), and `verify`.

    onething stop-clock CASE --as highway --task review:highway --reason 加固改造 [--note TEXT]
    onething resume-clock CASE --as highway
    onething rate CASE --score 1 [--comment TEXT] --token APPLICANT_TOKEN
    onething supplement CASE ANSWER.json --token APPLICANT_TOKEN      # 补正 (FILE or - for stdin)
    onething withdraw CASE [--reason TEXT] --token APPLICANT_TOKEN    # 撤回
    onething reply-rating CASE --as highway --reply TEXT
    onething return-visit CASE --satisfied | --unsatisfied [--note TEXT]
    onething claim CASE --as highway --task review:highway
    onething transfer CASE --as highway --task review:highway --to officer:highway:2 --reason TEXT
    onething urge CASE --task review:highway [--note TEXT]
    onething verify LICENCE_ID
    onething bar-carrier CREDIT_CODE --case CASE --reason TEXT [--as highway]   # 限制申请
    onething licence LICENCE_ID [--token APPLICANT_TOKEN]    # the holder's fetch activates it (激活)
    onething tasks [--as highway] [--state answered] [--matter M] [--card red] [--limit N] [--cursor C]

`--as NAME` picks the development token `officer:NAME` (a department, or `highway:2` for the second
highway officer); `--token` overrides it; `tasks` without either uses the supervisor dev token (every
department). `return-visit` and `urge` use the `supervisor` dev token; `rate`, `supplement` and
`withdraw` the applicant token of the case (`--token` or ONETHING_TOKEN). `verify` needs no token;
nor does `licence`, but only with the applicant token of the licence's case is it the holder's fetch.
`bar-carrier` uses the highway officer's dev token unless `--as`/`--token` say otherwise: only the
authority that granted on the credit commitment (信用承诺) may bar the carrier.
Output, errors and exit codes as in cli/portal_client.py.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlencode

from cli.errors import BadInput
from cli.portal_client import TOKEN_ENV, call, connection_options, dev_token, path_part, read_json_bytes
from domain.case import OFFICER_CLOCK_REASONS

if TYPE_CHECKING:
    Sub: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def register(sub: Sub) -> None:
    stop = _command(sub, "stop-clock", "停表: stop the case clock for an open task of your department")
    _officer(stop)
    stop.add_argument("--task", required=True, metavar="TASK_ID", help="your department's open task")
    stop.add_argument("--reason", required=True, choices=OFFICER_CLOCK_REASONS, help="why the clock stops")
    stop.add_argument("--note", metavar="TEXT")
    stop.set_defaults(handler=run_stop_clock)

    resume = _command(sub, "resume-clock", "复表: restart the clock; every due moves by the stopped days")
    _officer(resume)
    resume.set_defaults(handler=run_resume_clock)

    rate = _command(sub, "rate", "好差评: the applicant rates the service after 办结 (1..5)")
    rate.add_argument("--score", required=True, type=int, choices=range(1, 6), metavar="1..5")
    rate.add_argument("--comment", metavar="TEXT")
    connection_options(rate, "the applicant token of the case; default: ONETHING_TOKEN")
    rate.set_defaults(handler=run_rate)

    supplement = _command(sub, "supplement", "补正: the applicant answers the 补正 notice of the case")
    supplement.add_argument(
        "answer", metavar="ANSWER", help="the answer as JSON (the matter's supplement); -"
    )
    connection_options(supplement, "the applicant token of the case; default: ONETHING_TOKEN")
    supplement.set_defaults(handler=run_supplement)

    withdraw = _command(sub, "withdraw", "撤回: the applicant withdraws the application before the decision")
    withdraw.add_argument("--reason", metavar="TEXT")
    connection_options(withdraw, "the applicant token of the case; default: ONETHING_TOKEN")
    withdraw.set_defaults(handler=run_withdraw)

    reply = _command(sub, "reply-rating", "整改答复: the responsible department answers a bad rating")
    _officer(reply)
    reply.add_argument("--reply", required=True, metavar="TEXT")
    reply.set_defaults(handler=run_reply_rating)

    visit = _command(sub, "return-visit", "回访 after the 整改 (a supervisor)")
    answer = visit.add_mutually_exclusive_group(required=True)
    answer.add_argument("--satisfied", action="store_true")
    answer.add_argument("--unsatisfied", action="store_true")
    visit.add_argument("--note", metavar="TEXT")
    connection_options(visit, "default: the supervisor dev token")
    visit.set_defaults(handler=run_return_visit)

    claim = _command(sub, "claim", "签收: take an open task of your department")
    _officer(claim)
    claim.add_argument("--task", required=True, metavar="TASK_ID")
    claim.set_defaults(handler=run_claim)

    transfer = _command(sub, "transfer", "转办: hand a task to another officer of your department")
    _officer(transfer)
    transfer.add_argument("--task", required=True, metavar="TASK_ID")
    transfer.add_argument(
        "--to", required=True, dest="to_officer", metavar="OFFICER", help="e.g. officer:highway:2"
    )
    transfer.add_argument("--reason", required=True, metavar="TEXT")
    transfer.set_defaults(handler=run_transfer)

    urge = _command(sub, "urge", "督办: a supervisor urges an open task (ledger event, notice)")
    urge.add_argument("--task", required=True, metavar="TASK_ID")
    urge.add_argument("--note", metavar="TEXT")
    connection_options(urge, "default: the supervisor dev token")
    urge.set_defaults(handler=run_urge)

    tasks = sub.add_parser(
        "tasks",
        help="the inbox (待办/已办): open or answered tasks, sorted by due",
        description="GET /api/v1/tasks: an officer's department's tasks and the ones they hold; a "
        "supervisor's or auditor's of every department. Prints {items, next}.",
    )
    tasks.add_argument("--as", dest="officer", metavar="NAME", help="the officer dev token officer:NAME")
    tasks.add_argument("--state", choices=("open", "answered"), default="open")
    tasks.add_argument("--matter", metavar="MATTER")
    tasks.add_argument("--card", choices=("warning", "yellow", "red", "red-statutory"))
    tasks.add_argument("--department", metavar="DEPT", help="supervisors and auditors: one department")
    tasks.add_argument("--limit", type=int, metavar="N")
    tasks.add_argument("--cursor", metavar="NEXT", help="the previous page's next")
    connection_options(tasks, "default: officer:NAME with --as, else the supervisor dev token")
    tasks.set_defaults(handler=run_tasks)

    verify = sub.add_parser(
        "verify",
        help="verify an e-licence: seal, validity, revocation",
        description="GET the portal's verification of an e-licence (public: no token): prints "
        "{valid, reasons}; an unknown licence is HTTP 404, exit 2.",
    )
    verify.add_argument("licence", metavar="LICENCE_ID", help="the GB/T 36904 identifier")
    verify.add_argument("--url", metavar="URL", help="portal base URL (default: $ONETHING_PORTAL_URL)")
    verify.set_defaults(handler=run_verify)

    bar = sub.add_parser(
        "bar-carrier",
        help="限制申请: bar a carrier whose credit commitment (信用承诺) in a case was found false",
        description="POST /api/v1/carriers/{CREDIT_CODE}/bars: the carrier may not apply until the bar "
        "ends (行政许可法 Art. 79). Prints {credit_code, case_id, barred_until, created}.",
    )
    bar.add_argument("credit_code", metavar="CREDIT_CODE", help="统一社会信用代码 of the carrier")
    bar.add_argument("--case", required=True, metavar="CASE", help="the case whose commitment was false")
    bar.add_argument("--reason", required=True, metavar="TEXT", help="what was found false")
    _officer(bar)
    bar.set_defaults(handler=run_bar_carrier, officer="highway")
    fetch = sub.add_parser(
        "licence",
        help="fetch an e-licence; with the applicant token of its case, the holder's fetch (激活)",
        description="GET an e-licence (public): its catalogue record, signed bytes, signature and key. "
        "With --token (or ONETHING_TOKEN) the applicant token of the licence's case, the fetch is the "
        "holder's and activates the licence (激活率); without, it is counted and activates nothing.",
    )
    fetch.add_argument("licence", metavar="LICENCE_ID", help="the GB/T 36904 identifier")
    connection_options(fetch, "the applicant token of the licence's case; default: none")
    fetch.set_defaults(handler=run_licence)


def _command(sub: Sub, name: str, help_text: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text + ". Prints the case after it.")
    parser.add_argument("case", metavar="CASE", help="the case id, e.g. oversize-transport-S-1")
    return parser


def _officer(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="officer",
        metavar="NAME",
        help="the officer dev token officer:NAME (highway, urban_road, police, highway:2, …)",
    )
    connection_options(parser, "default: the officer dev token of --as")


def _officer_token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    if not args.officer:
        raise BadInput("--as: name the officer (or give --token)")
    return dev_token(f"officer:{args.officer}")


def _post(args: argparse.Namespace, action: str, token: str, body: dict[str, Any] | None) -> int:
    path = f"/api/v1/cases/{path_part(args.case, 'CASE')}/{action}"
    content = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    return call(args, "POST", path, token, content=content)


def _without_none(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _task(args: argparse.Namespace) -> str:
    return f"tasks/{path_part(args.task, '--task')}"


# --- commands ------------------------------------------------------------------------------------------


def run_stop_clock(args: argparse.Namespace) -> int:
    body = _without_none(task_id=args.task, reason=args.reason, note=args.note)
    return _post(args, "clock-stops", _officer_token(args), body)


def run_resume_clock(args: argparse.Namespace) -> int:
    return _post(args, "clock-resumes", _officer_token(args), {})


def _applicant_token(args: argparse.Namespace) -> str:
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        raise BadInput("--token: the applicant token of the case is required (or ONETHING_TOKEN)")
    return str(token)


def run_rate(args: argparse.Namespace) -> int:
    body = _without_none(score=args.score, comment=args.comment)
    return _post(args, "rating", _applicant_token(args), body)


def run_supplement(args: argparse.Namespace) -> int:
    """The answer file is sent as it is: the portal validates it against the matter's model."""
    token = _applicant_token(args)
    path = f"/api/v1/cases/{path_part(args.case, 'CASE')}/supplements"
    return call(args, "POST", path, token, content=read_json_bytes(args.answer, "ANSWER"))


def run_withdraw(args: argparse.Namespace) -> int:
    return _post(args, "withdrawal", _applicant_token(args), _without_none(reason=args.reason))


def run_reply_rating(args: argparse.Namespace) -> int:
    return _post(args, "rectification-reply", _officer_token(args), {"reply": args.reply})


def run_return_visit(args: argparse.Namespace) -> int:
    token = args.token or dev_token("supervisor")
    return _post(args, "return-visit", token, _without_none(satisfied=bool(args.satisfied), note=args.note))


def run_claim(args: argparse.Namespace) -> int:
    return _post(args, f"{_task(args)}/claim", _officer_token(args), None)


def run_transfer(args: argparse.Namespace) -> int:
    body = {"to_officer": args.to_officer, "reason": args.reason}
    return _post(args, f"{_task(args)}/transfer", _officer_token(args), body)


def run_urge(args: argparse.Namespace) -> int:
    token = args.token or dev_token("supervisor")
    return _post(args, f"{_task(args)}/urge", token, _without_none(note=args.note))


def run_tasks(args: argparse.Namespace) -> int:
    token = args.token or (dev_token(f"officer:{args.officer}") if args.officer else dev_token("supervisor"))
    params = _without_none(
        state=args.state,
        matter=args.matter,
        card=args.card,
        department=args.department,
        limit=args.limit,
        cursor=args.cursor,
    )
    return call(args, "GET", "/api/v1/tasks?" + urlencode(params), token)


def run_bar_carrier(args: argparse.Namespace) -> int:
    path = f"/api/v1/carriers/{path_part(args.credit_code, 'CREDIT_CODE')}/bars"
    body = json.dumps({"case_id": args.case, "reason": args.reason}, ensure_ascii=False).encode()
    return call(args, "POST", path, _officer_token(args), content=body)


def run_licence(args: argparse.Namespace) -> int:
    licence = path_part(args.licence, "LICENCE_ID")
    return call(args, "GET", f"/api/v1/licences/{licence}", args.token or os.environ.get(TOKEN_ENV))


def run_verify(args: argparse.Namespace) -> int:
    licence = path_part(args.licence, "LICENCE_ID")
    return call(args, "GET", f"/api/v1/licences/{licence}/verification", None)
