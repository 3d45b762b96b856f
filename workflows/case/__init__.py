"""The steps every matter's case shares, arranged by the story a case goes through.

- intake.py: 收件, the promised clock, 数据预填 (免提交), 受理 or 不予受理, one 补正
- review.py: 承办 of the department tasks, their answers (审核, 会签), 签收/转办/督办, 停表 in review
- decision.py: 决定 (准予许可 / 不予许可), 制证, 办结, 撤回
- evaluation.py: 好差评, 整改 of a bad rating, 回访
- messages.py: `CaseWorkflow`, the message handlers every matter's workflow shares
- state.py (`Case`: book, supervision, department, limits), book.py (`CaseBook`, what the UI shows),
  supervision.py (limits, 停表/复表, warnings and cards), effects.py (activities, ledger, notices)

A matter's workflow tells its own story with these steps on its `self.case`. Everything here runs in
the workflow sandbox: a move between these modules changes no command a case issues, and every
patch check (`effects.patched`) stays where its step is.
"""
