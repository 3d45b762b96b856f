"""The auditors' report (效能监察报告), computed from the supervision ledger and the licence repository:
facts.py reads each case's events into facts, figures.py computes the figures, report.py is the
report's shape.

Pure: it takes plain records (`LedgerRecord`, `LicenceRecord`), a working-day calendar and the
instant "now", and returns an `AuditReport`. Loading the records is store/audit_queries.py; rendering
is reports/; the use case that does both is services/audit_report.py.

Definitions (also in `DEFINITIONS`, printed with every report):

- Cohort: the cases whose 收件 (receipt) falls in the period, dates in Asia/Shanghai. A case with no
  收件 event in the ledger is not reported. Events after the period still count (a case received in
  the period and closed after it is completed).
- Decided cases: closed (办结) with outcome approved or refused. They are the denominator of both
  on-time rates, of the elapsed-time percentiles and of the acceleration; cases that ended without a
  decision (不予受理, 撤回, 补正逾期) would flatter all three.
- On time against the promised limit (承诺时限): 办结.actual_at ≤ 办结.planned_at (the final promised
  due, after any moves). Against the statutory limit (法定时限): 办结.actual_at ≤ 办结.detail.statutory_due
  (falling back to the latest statutory_due of 受理/复表 when the closing event lacks it).
- Elapsed working days: working days from the receipt date to the closing date (start day not counted,
  official calendar) minus the working days the clock was stopped (Σ 复表.detail.stopped_working_days;
  where a 复表 lacks it, the working days from the 停表 date to the 复表 date).
- Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at rank
  ⌈p·n/100⌉ (1-based). The median is the 50th percentile, so for an even n it is the lower of the two
  middle values, never an average: every figure reported is one a case actually had.
- Acceleration (提速倍数) of a decided case: 受理.detail.statutory_working_days ÷ max(elapsed, 1); the
  report gives the nearest-rank median over the decided cases that carry the statutory limit.
- Task duration: working days from a 承办 (task assigned) date to its 审核/会签 (answer) date, per task
  kind = the task_id before its first ":" plus the department ("review:highway"). The bottleneck is
  the kind with the highest median; ties go to the higher p90, then more tasks, then the name.
- Overdue: open cases whose promised due (the latest of 受理.planned_at and 复表.promised_due) is before
  "now", unless the clock is stopped (a 停表 with no 复表 after it: the applicant has the case); and
  closed cases that closed after their promised due. Working days overdue: from the due date to the
  date of "now" (open) or of closing (closed).
- 好差评: a bad rating is 1 or 2. Each 整改答复 answers the earliest unanswered 整改 of its case; it is
  on time when it comes no later than that 整改's planned_at.
- E-licence KPIs come from the licence repository (licences and outbox tables), not from the ledger,
  for the licences of the reported cases: 制证率 = approved cases with at least one licence ÷ approved
  cases (a case may issue several licences, so licences ÷ cases could pass 100 %); 归集率 = licences
  whose "licence_repository" outbox message is delivered ÷ licences; 数据合格率 = licences whose stored
  payload parses as a catalogue record, passes check_catalogue, is exactly what was signed and whose
  SM2 signature verifies ÷ licences; 激活率 = licences their holder fetched ÷ licences. Targets (Hunan
  2025): 制证率, 激活率 ≥ 80 %; 归集率, 数据合格率 ≥ 90 %.
"""
