"""The web workbench (工作台): server-rendered pages over the same routes and rules as the API.

GET  /workbench/login                      public      the sign-in form (a token)
POST /workbench/login                      public      sign in: a session cookie (HttpOnly, SameSite=Strict)
POST /workbench/logout                     session     sign out: the session ends
GET  /workbench                            session     staff: the inbox (待办/已办); an applicant: their case
GET  /workbench/cases/{case_id}            session     the case: status, tasks, forms, licences, timeline
GET  /workbench/cases/{case_id}/licences/{licence_id}
                                           session     a licence of the case; the applicant's fetch: 激活
POST /workbench/cases/{case_id}/{action}   session     one form: opinion, clock-stop, clock-resume, claim,
                                                       transfer, urge, rectification-reply, return-visit,
                                                       rating, withdrawal, supplement

No build step, nothing fetched at run time: HTML with a little inline CSS. Everything shown passes
through `html.page` (escaped). Every form carries the session's CSRF token; a form without it, or
with another, is refused (403) and changes nothing. Each action calls the API's own handler
(portal/cases.py, portal/actions.py) after the same role check its route makes, so the workbench
can do exactly what the API allows; then it redirects back to the case (post/redirect/get).
The submission itself is not shown: the status query does not return it (personal data stays in
the encrypted history).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from domain.calendar import SHANGHAI
from domain.case import CaseStatus, Stage, Task, Withdrawal
from portal import actions, cases, gateway, licences, tasks
from portal.auth import Principal, Role
from portal.errors import ApiError, invalid
from portal.messages import SUPPLEMENT_UPDATE
from portal.state import PortalState, portal_state
from portal.workbench.html import Markup, join, page
from portal.workbench.sessions import (
    CODEC_COOKIE,
    CODEC_COOKIE_PATH,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Session,
    csrf_ok,
    current,
    grant_codec,
    sessions_of,
    set_cookie,
)
from store.ledger import list_events

PREFIX = "/workbench"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
State = Annotated[PortalState, Depends(portal_state)]
Form = dict[str, list[str]]

STAGES = {
    Stage.RECEIVED: "收件",
    Stage.PREFILL: "数据预填",
    Stage.ACCEPTANCE: "受理审查",
    Stage.SUPPLEMENT: "补正",
    Stage.REVIEW: "并联审核",
    Stage.COUNTERSIGN: "会签",
    Stage.DECISION: "决定",
    Stage.ISSUING: "制证",
    Stage.CLOSED: "办结",
}
CARDS = {"warning": "催办", "yellow": "黄牌", "red": "红牌", "red-statutory": "超法定时限"}
ROLES = {
    Role.OFFICER: "承办人员",
    Role.SUPERVISOR: "督办人员",
    Role.AUDITOR: "效能监察",
    Role.APPLICANT: "申请人",
    Role.PORTAL: "一网通办",
}
STAFF = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR})

STYLE = """
body{font-family:sans-serif;margin:0;background:#f5f6f8;color:#222}
header{background:#1f4e8c;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center}
header a{color:#fff} main{padding:1em} table{border-collapse:collapse;background:#fff;width:100%}
td,th{border:1px solid #ccd;padding:.3em .5em;text-align:left;vertical-align:top}
form.inline{display:inline} fieldset{background:#fff;margin:.5em 0;border:1px solid #ccd}
.card{padding:0 .4em;border-radius:3px;color:#fff}
.card-warning{background:#d98c00}.card-yellow{background:#e6c200;color:#222}
.card-red{background:#c62828}.card-red-statutory{background:#6a0000}
.error{background:#fde;border:1px solid #c62828;padding:.5em}
"""


# --- sign in, sign out -------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or _new_token()
    body = page(
        """<h1>登录工作台</h1>
<form method="post" action="/workbench/login">
<input type="hidden" name="csrf" value="{csrf}">
<label>令牌 (token) <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">登录</button></form>""",
        csrf=csrf,
    )
    response = _html(_layout("登录", body, None))
    set_cookie(response, request, LOGIN_CSRF_COOKIE, csrf, max_age=3600)
    return response


@router.post("/login")
async def login(request: Request, state: State) -> Response:
    form = await _form(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if expected is None or not csrf_ok(expected, _one(form, "csrf")):
        return _error(403, "csrf", "the form has expired: open the sign-in page again", None)
    token = _one(form, "token") or ""
    principal = _principal_of(token, state)
    if principal is None:
        return _error(401, "token", "unknown or revoked token", None)
    session_id, _ = sessions_of(request).open(principal)
    target = f"/workbench/cases/{quote(principal.case_id, safe='')}" if principal.case_id else "/workbench"
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, session_id, max_age=SESSION_SECONDS)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/workbench")
    grant_codec(response, request, session_id)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session_id, session = current(request)
    if session is None:
        return RedirectResponse("/workbench/login", status_code=303)
    if not csrf_ok(session.csrf, _one(await _form(request), "csrf")):
        return _error(403, "csrf", "missing or wrong CSRF token", session)
    sessions_of(request).close(session_id)
    response = RedirectResponse("/workbench/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/workbench")
    response.delete_cookie(CODEC_COOKIE, path=CODEC_COOKIE_PATH)
    return response


# --- the inbox -------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def home(request: Request, state: State) -> Response:
    session_id, session = current(request)
    if session is None:
        return RedirectResponse("/workbench/login", status_code=303)
    who = session.principal
    if who.role == Role.APPLICANT and who.case_id:
        return RedirectResponse(f"/workbench/cases/{quote(who.case_id, safe='')}", status_code=303)
    if who.role not in STAFF:
        return _error(
            403, "authorization", "the workbench is for officers, supervisors and auditors", session
        )
    task_state: Literal["open", "answered"] = (
        "answered" if request.query_params.get("state") == "answered" else "open"
    )
    try:
        inbox = await tasks.inbox(
            state, who, task_state, None, None, None, 100, request.query_params.get("cursor")
        )
    except ApiError as error:
        return _api_error(error, session)
    rows = join(
        page(
            """<tr><td><a href="/workbench/cases/{link}">{case_id}</a></td><td>{title}</td><td>{kind}</td>
<td>{department}</td><td>{klass}</td><td>{holder}</td><td>{due}</td><td>{left}</td><td>{card}</td></tr>""",
            link=quote(item.case_id, safe=""),
            case_id=item.case_id,
            title=item.title,
            kind=item.kind,
            department=item.department,
            klass=item.permit_class or "-",
            holder=item.holder or "-",
            due=_when(item.due),
            left="停表"
            if item.clock_stopped
            else ("-" if item.working_days_left is None else item.working_days_left),
            card=_card(item.card),
        )
        for item in inbox.items
    )
    body = page(
        """<h1>{heading}</h1>
<p><a href="/workbench">待办</a> · <a href="/workbench?state=answered">已办</a></p>
<table><tr><th>办件</th><th>任务</th><th>类型</th><th>部门</th><th>类别</th><th>签收人</th><th>期限</th>
<th>剩余工作日</th><th>督办牌</th></tr>{rows}</table>{more}""",
        heading="待办任务" if task_state == "open" else "已办任务",
        rows=rows,
        more=page('<p><a href="/workbench?state={s}&cursor={c}">下一页</a></p>', s=task_state, c=inbox.next)
        if inbox.next
        else Markup(""),
    )
    response = _html(_layout("工作台", body, session))
    grant_codec(response, request, session_id)  # renewed while the officer works
    return response


# --- the case --------------------------------------------------------------------------------------------


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(case_id: str, request: Request, state: State) -> Response:
    session_id, session = current(request)
    if session is None:
        return RedirectResponse("/workbench/login", status_code=303)
    try:
        _may_read(session.principal, case_id)
        cases.known_matter(case_id, state)
        status = await gateway.case_status(state.temporal(), case_id)
        async with state.store().sessions() as db:
            events = await list_events(db, case_id)
    except ApiError as error:
        return _api_error(error, session)
    body = join(
        [
            _summary(status),
            _tasks(status, session, state),
            _rectification(status, session),
            _applicant_forms(status, session),
            _licences(status),
            _timeline(events),
        ]
    )
    response = _html(_layout(f"办件 {case_id}", body, session))
    grant_codec(response, request, session_id)
    return response


@router.get("/cases/{case_id}/licences/{licence_id}")
async def licence(case_id: str, licence_id: str, request: Request, state: State) -> Response:
    """The licence as the API gives it; fetched from the applicant's own session, it is the holder's
    fetch (激活, portal/licences.py), from a staff session a fetch like any other."""
    _, session = current(request)
    if session is None:
        return RedirectResponse("/workbench/login", status_code=303)
    try:
        _may_read(session.principal, case_id)

        def holder(licence_case: str) -> bool:
            if licence_case != case_id:  # the case's page links only its own licences
                raise ApiError(404, "licence_id", f"case {case_id!r} has no licence {licence_id!r}")
            return session.principal.role == Role.APPLICANT

        document, _ = await licences.fetched_document(state, licence_id, holder)
    except ApiError as error:
        return _api_error(error, session)
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


@router.post("/cases/{case_id}/{action}")
async def act(case_id: str, action: str, request: Request, state: State) -> Response:
    _, session = current(request)
    if session is None:
        return RedirectResponse("/workbench/login", status_code=303)
    form = await _form(request)
    if not csrf_ok(session.csrf, _one(form, "csrf")):
        return _error(403, "csrf", "missing or wrong CSRF token: nothing was changed", session)
    found = ACTIONS.get(action)
    if found is None:
        return _error(404, "action", f"no form {action!r}", session)
    roles, handler = found
    who = session.principal
    if who.role not in roles or (who.role == Role.APPLICANT and who.case_id != case_id):
        return _error(403, "authorization", "your role may not do this", session)
    try:
        await handler(case_id, form, state, who)
    except ValidationError as error:
        return _api_error(invalid(error), session)
    except ApiError as error:
        return _api_error(error, session)
    return RedirectResponse(f"/workbench/cases/{quote(case_id, safe='')}", status_code=303)


# --- the actions, each the API's own handler -----------------------------------------------------------

Handler = Callable[[str, Form, PortalState, Principal], Awaitable[Any]]


async def _opinion(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    body = cases.OpinionIn(
        task_id=_one(form, "task_id") or "",
        approve=_one(form, "decision") == "approve",
        reason=_one(form, "reason") or None,
        conditions=_lines(_one(form, "conditions")),
    )
    return await cases.submit_opinion(case_id, body, state, who)


async def _clock_stop(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    body = actions.ClockStopIn.model_validate(
        {"task_id": _one(form, "task_id"), "reason": _one(form, "reason"), "note": _one(form, "note") or None}
    )
    return await actions.stop_clock(case_id, body, state, who)


async def _clock_resume(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    return await actions.resume_clock(case_id, state, who, None)


async def _claim(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    return await actions.claim(case_id, _one(form, "task_id") or "", state, who)


async def _transfer(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    body = actions.TransferIn.model_validate(
        {"to_officer": _one(form, "to_officer"), "reason": _one(form, "reason")}
    )
    return await actions.transfer(case_id, _one(form, "task_id") or "", body, state, who)


async def _urge(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    body = actions.UrgeIn(note=_one(form, "note") or None)
    return await actions.urge(case_id, _one(form, "task_id") or "", state, who, body)


async def _rectification_reply(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    body = actions.RectificationReplyIn.model_validate({"reply": _one(form, "reply")})
    return await actions.reply_to_rating(case_id, body, state, who)


async def _return_visit(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    body = actions.ReturnVisitIn(satisfied=_one(form, "satisfied") == "yes", note=_one(form, "note") or None)
    return await actions.return_visit(case_id, body, state, who)


async def _rating(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    score = _one(form, "score") or ""
    if not score.isdigit():
        raise ApiError(422, "score", "a score from 1 to 5")
    body = actions.RatingIn(score=int(score), comment=_one(form, "comment") or None)
    return await actions.rate(case_id, body, state, who)


async def _withdrawal(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    return await cases.withdraw(case_id, state, who, Withdrawal(reason=_one(form, "reason") or None))


async def _supplement(case_id: str, form: Form, state: PortalState, who: Principal) -> Any:
    matter = cases.known_matter(case_id, state)
    if matter.supplement is None:
        raise ApiError(409, "stage", f"{matter.key} has no 补正 (supplement) round")
    answer = matter.supplement.model_validate({"materials": _lines(_one(form, "materials"))})
    return await gateway.execute_update(state.temporal(), case_id, SUPPLEMENT_UPDATE, answer)


OFFICER = frozenset({Role.OFFICER})
ACTIONS: dict[str, tuple[frozenset[Role], Handler]] = {
    "opinion": (OFFICER, _opinion),
    "clock-stop": (OFFICER, _clock_stop),
    "clock-resume": (OFFICER, _clock_resume),
    "claim": (OFFICER, _claim),
    "transfer": (OFFICER, _transfer),
    "urge": (frozenset({Role.SUPERVISOR}), _urge),
    "rectification-reply": (OFFICER, _rectification_reply),
    "return-visit": (frozenset({Role.SUPERVISOR}), _return_visit),
    "rating": (frozenset({Role.APPLICANT}), _rating),
    "withdrawal": (frozenset({Role.APPLICANT}), _withdrawal),
    "supplement": (frozenset({Role.APPLICANT}), _supplement),
}
"""Each form → who may post it (as its API route's `require`) and the API handler it calls."""


# --- pieces of the case page ---------------------------------------------------------------------------


def _summary(status: CaseStatus) -> Markup:
    problems = join(page("<li>{f}: {m}</li>", f=p.field, m=p.message) for p in status.problems)
    return page(
        """<h1>办件 {case_id}</h1><table>
<tr><th>事项</th><td>{matter}</td><th>环节</th><td>{stage}</td><th>结果</th><td>{outcome}</td></tr>
<tr><th>类别</th><td>{klass}</td><th>承诺期限</th><td>{due}</td><th>法定期限</th><td>{statutory}</td></tr>
<tr><th>督办牌</th><td>{card}</td><th>停表</th><td>{stopped}</td><th>评价</th><td>{rating}</td></tr>
</table>{problems}{reasons}""",
        case_id=status.case_id,
        matter=status.matter,
        stage=STAGES.get(status.stage, status.stage.value),
        outcome=status.outcome.value if status.outcome else "-",
        klass=status.permit_class or "-",
        due=_when(status.due),
        statutory=_when(status.statutory_due),
        card=_card(status.card),
        stopped=status.clock_stopped or "-",
        rating=status.rating if status.rating is not None else "-",
        problems=page("<h2>补正事项</h2><ul>{items}</ul>", items=problems) if status.problems else Markup(""),
        reasons=page("<h2>理由</h2><ul>{r}</ul>", r=join(page("<li>{x}</li>", x=x) for x in status.reasons))
        if status.reasons
        else Markup(""),
    )


def _tasks(status: CaseStatus, session: Session, state: PortalState) -> Markup:
    who = session.principal
    rows = []
    for task in status.open_tasks:
        forms = Markup("")
        if who.role == Role.OFFICER and who.department == task.department:
            forms = _officer_forms(task, session, state, status)
        elif who.role == Role.SUPERVISOR:
            forms = _form_html(
                status.case_id,
                "urge",
                session,
                "督办",
                '<input name="note" placeholder="督办意见">',
                task.task_id,
            )
        rows.append(
            page(
                "<tr><td>{title}</td><td>{department}</td><td>{holder}</td><td>{due}</td><td>{forms}</td></tr>",
                title=task.title,
                department=task.department,
                holder=task.holder or "未签收",
                due=_when(task.due),
                forms=forms,
            )
        )
    answered = join(
        page(
            "<li>{title} ({department}): {answer} {reason}</li>",
            title=t.title,
            department=t.department,
            answer="准予" if t.approve else "不予",
            reason=t.reason or "",
        )
        for t in status.answered_tasks
    )
    resume = Markup("")
    if (
        who.role == Role.OFFICER
        and status.clock_stopped in ("加固改造", "专家评审")
        and any(t.department == who.department for t in status.open_tasks)
    ):
        resume = _form_html(status.case_id, "clock-resume", session, "复表", "")
    return page(
        """<h2>待办任务</h2><table><tr><th>任务</th><th>部门</th><th>签收人</th><th>期限</th><th>办理</th></tr>
{rows}</table>{resume}<h2>已办任务</h2><ul>{answered}</ul>""",
        rows=join(rows),
        resume=resume,
        answered=answered,
    )


def _officer_forms(task: Task, session: Session, state: PortalState, status: CaseStatus) -> Markup:
    case_id, who = status.case_id, session.principal
    parts = []
    if task.holder is None:
        parts.append(_form_html(case_id, "claim", session, "签收", "", task.task_id))
    parts.append(
        _form_html(
            case_id,
            "opinion",
            session,
            "提交意见",
            """<label><input type="radio" name="decision" value="approve" checked>准予</label>
<label><input type="radio" name="decision" value="refuse">不予</label>
<input name="reason" placeholder="理由">
<textarea name="conditions" placeholder="许可条件，每行一条"></textarea>""",
            task.task_id,
        )
    )
    if not status.clock_stopped:
        parts.append(
            _form_html(
                case_id,
                "clock-stop",
                session,
                "停表",
                """<select name="reason"><option>加固改造</option><option>专家评审</option></select>
<input name="note" placeholder="说明">""",
                task.task_id,
            )
        )
    colleagues = [o for o in state.tokens.officers(task.department) if o not in (who.name, task.holder)]
    if colleagues and task.holder in (None, who.name):
        options = join(page("<option>{o}</option>", o=o) for o in colleagues)
        fields = page(
            '<select name="to_officer">{o}</select><input name="reason" placeholder="转办理由">', o=options
        )
        parts.append(_form_html(case_id, "transfer", session, "转办", fields, task.task_id))
    return join(parts)


def _rectification(status: CaseStatus, session: Session) -> Markup:
    task, who = status.rectification, session.principal
    if task is None:
        return Markup("")
    form = Markup("")
    if not task.answered and who.role == Role.OFFICER and who.department == task.department:
        form = _form_html(
            status.case_id, "rectification-reply", session, "整改答复", '<input name="reply" required>'
        )
    elif task.answered and who.role == Role.SUPERVISOR:
        form = _form_html(
            status.case_id,
            "return-visit",
            session,
            "回访",
            """<select name="satisfied"><option value="yes">满意</option>
<option value="no">不满意</option></select><input name="note" placeholder="回访记录">""",
        )
    return page(
        "<h2>差评整改</h2><p>{department} · 期限 {due} · {done}</p>{form}",
        department=task.department,
        due=_when(task.due),
        done="已答复" if task.answered else "待答复",
        form=form,
    )


def _applicant_forms(status: CaseStatus, session: Session) -> Markup:
    if session.principal.role != Role.APPLICANT:
        return Markup("")
    parts = []
    if status.stage == Stage.SUPPLEMENT:
        parts.append(
            _form_html(
                status.case_id,
                "supplement",
                session,
                "提交补正",
                '<textarea name="materials" placeholder="补交材料，每行一项"></textarea>',
            )
        )
    if status.rating_open:
        options = join(page('<option value="{n}">{n}</option>', n=n) for n in range(5, 0, -1))
        fields = page(
            '<select name="score">{o}</select><input name="comment" placeholder="评价内容">', o=options
        )
        parts.append(_form_html(status.case_id, "rating", session, "评价", fields))
    if status.outcome is None and status.stage not in (Stage.DECISION, Stage.ISSUING, Stage.CLOSED):
        parts.append(
            _form_html(
                status.case_id,
                "withdrawal",
                session,
                "撤回申请",
                '<input name="reason" placeholder="撤回理由">',
            )
        )
    return page("<h2>申请人操作</h2>{parts}", parts=join(parts)) if parts else Markup("")


def _licences(status: CaseStatus) -> Markup:
    if not status.licence_ids:
        return Markup("")
    # 证照 through the workbench, so that the applicant's click is the holder's fetch (激活).
    items = join(
        page(
            '<li>{id} · <a href="/workbench/cases/{case}/licences/{link}">证照</a> · '
            '<a href="/api/v1/licences/{link}/verification">核验</a></li>',
            id=licence_id,
            case=quote(status.case_id, safe=""),
            link=quote(licence_id, safe=""),
        )
        for licence_id in status.licence_ids
    )
    return page("<h2>电子证照</h2><ul>{items}</ul>", items=items)


def _timeline(events: list[Any]) -> Markup:
    rows = join(
        page(
            "<tr><td>{seq}</td><td>{at}</td><td>{step}</td><td>{department}</td><td>{actor}</td>"
            "<td>{outcome}</td><td>{detail}</td></tr>",
            seq=e.seq,
            at=_when(e.actual_at),
            step=e.step,
            department=e.department,
            actor=e.actor_role,
            outcome=e.outcome or "",
            detail=_detail(e.detail),
        )
        for e in events
    )
    return page(
        "<h2>办理过程（电子监察）</h2><table><tr><th>#</th><th>时间</th><th>环节</th><th>部门</th><th>角色</th>"
        "<th>结果</th><th>说明</th></tr>{rows}</table>",
        rows=rows,
    )


def _detail(detail: dict[str, Any]) -> str:
    shown = {
        k: v
        for k, v in detail.items()
        if k in ("task_id", "reason", "conditions", "officer", "to_officer", "note")
    }
    return "; ".join(f"{k}: {v}" for k, v in shown.items() if v)


# --- plumbing --------------------------------------------------------------------------------------------


def _form_html(
    case_id: str, action: str, session: Session, label: str, fields: str, task_id: str | None = None
) -> Markup:
    """A form posting `action`; `fields` is a literal of this module (markup, no data) or `Markup`."""
    return page(
        """<form class="inline" method="post" action="/workbench/cases/{case}/{action}">
<input type="hidden" name="csrf" value="{csrf}">{task}{fields}
<button type="submit">{label}</button></form>""",
        case=quote(case_id, safe=""),
        action=action,
        csrf=session.csrf,
        task=page('<input type="hidden" name="task_id" value="{t}">', t=task_id) if task_id else Markup(""),
        fields=fields if isinstance(fields, Markup) else Markup(fields),
        label=label,
    )


def _layout(title: str, body: Markup, session: Session | None) -> Markup:
    nav = Markup("")
    if session is not None:
        nav = page(
            """<a href="/workbench">工作台</a><span>{who} ({role})</span>
<form class="inline" method="post" action="/workbench/logout"><input type="hidden" name="csrf" value="{csrf}">
<button type="submit">退出</button></form>""",
            who=session.principal.name,
            role=ROLES.get(session.principal.role, session.principal.role.value),
            csrf=session.csrf,
        )
    return page(
        """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>{style}</style></head><body><header><strong>高效办成一件事 · 工作台</strong>{nav}</header>
<main>{body}</main></body></html>""",
        title=title,
        style=Markup(STYLE),
        nav=nav,
        body=body,
    )


def _html(content: Markup, status_code: int = 200) -> HTMLResponse:
    response = HTMLResponse(content, status_code=status_code)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status_code: int, field: str, message: str, session: Session | None) -> HTMLResponse:
    body = page(
        '<div class="error"><p>{field}: {message}</p></div><p><a href="/workbench">返回</a></p>',
        field=field,
        message=message,
    )
    return _html(_layout("出错了", body, session), status_code)


def _api_error(error: ApiError, session: Session | None) -> HTMLResponse:
    items = join(page("<li>{f}: {m}</li>", f=p["field"], m=p["message"]) for p in error.problems)
    body = page('<div class="error"><ul>{items}</ul></div><p><a href="/workbench">返回</a></p>', items=items)
    return _html(_layout("出错了", body, session), error.status_code)


def _may_read(who: Principal, case_id: str) -> None:
    if who.role == Role.APPLICANT:
        if who.case_id != case_id:
            raise ApiError(403, "authorization", "this applicant session belongs to another case")
    elif who.role not in STAFF:
        raise ApiError(
            403, "authorization", "only officers, supervisors, auditors and the applicant read cases"
        )


def _principal_of(token: str, state: PortalState) -> Principal | None:
    if not token:
        return None
    found = state.tokens.identify(token)
    if found is not None:
        return found
    case_id = state.applicants.case_of(token)
    return Principal(name="applicant", role=Role.APPLICANT, case_id=case_id) if case_id else None


async def _form(request: Request) -> Form:
    raw = await request.body()
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        return {}


def _one(form: Form, name: str) -> str | None:
    values = form.get(name)
    return values[0].strip() if values else None


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _when(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else "-"


def _card(card: str | None) -> Markup:
    if not card:
        return Markup("-")
    return page('<span class="card card-{c}">{label}</span>', c=card, label=CARDS.get(card, card))


def _new_token() -> str:
    return secrets.token_urlsafe(32)
