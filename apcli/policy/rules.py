"""Every rule ap knows: id, kind, what it gates, the policy's words, source, check (docs/policy-rules.md is
written from this list).

A rule whose `check` is None is catalogued but not yet checked by `ap`; `ap rules`
says so. Checks live beside the step they gate.
"""

from __future__ import annotations

from apcli.policy import absence as absent
from apcli.policy import agreeing as agree
from apcli.policy import during, keystage
from apcli.policy import ending as end
from apcli.policy import notices as notice
from apcli.policy import referral as ref
from apcli.policy import reviews as review
from apcli.policy.base import Rule

POLICY = "the academy's Alternative Provision Policy"
REGS = "SI 2010/1156 (Education (Educational Provision for Improving Behaviour) Regulations 2010), as amended"
DFE_2025 = "DfE, Arranging alternative provision: a guide for local authorities and schools (2025)"
KCSIE = "DfE, Keeping Children Safe in Education"
ATTENDANCE_2024 = (
    "DfE, Working together to improve school attendance (August 2024), the national framework for penalty notices: "
    "'a single consistent national threshold for when a penalty notice must be considered by all schools in "
    "England, of 10 sessions (usually equivalent to 5 school days) of unauthorised absence within a rolling 10 "
    "school week period' (a school week: any week with at least one school session); unauthorised codes G, N, "
    "O, U: School Attendance (Pupil Registration) (England) Regulations 2024, reg 10"
)
S576 = (
    "Education Act 1996 s576(1): 'parent', in relation to a child or young person, includes any person (a) who "
    "is not a parent of his but who has parental responsibility for him, or (b) who has care of him"
)
DFE_REGISTRATION = (
    "DfE, Alternative provision: statutory guidance for local authorities (as quoted by Lincolnshire County Council, "
    "professionals.lincolnshire.gov.uk/special-educational-needs-disabilites/alternative-provision-guidance/16); "
    "full time: DfE, Registration of independent schools (August 2019): an institution provides full-time "
    "education 'if it is intended to provide, or does provide, all, or substantially all, of a child's education'"
)
ATTENDANCE_REGS = "The School Attendance (Pupil Registration) (England) Regulations 2024 (SI 2024/208)"
WORKING_TOGETHER = "DfE, Working together to improve school attendance (August 2024), attendance codes"
AGREEING = ("meeting", "decision", "approval", "placement")

RULES: tuple[Rule, ...] = (
    # --- referral ---
    Rule("REF-KEY-STAGE", "must", ("refer",), "personalised curriculum for students at KS1 and KS2", POLICY,
         "pupil is in Year 1 to Year 6 on the referral date; the year group agrees with the date of birth "
         "(1 September cut-off) or the mismatch is stated", ref.key_stage),
    Rule("REF-REASON", "must", ("refer",), "These are the main reasons for choosing Alternative Provision", POLICY,
         "at least one of the policy's six reasons", ref.reason),
    Rule("REF-MORE-APPROPRIATE", "must", ("refer",),
         "referred on the basis that this provision is more appropriate for them than what the academy can provide",
         POLICY, "a written rationale", ref.more_appropriate),
    Rule("REF-SEND-HUB", "should", ("refer",),
         "Students should be known to the SEND Hub; The student should be open to SEND Hub & discuss to explore "
         "other potential avenues of support", POLICY,
         "pupil known/open to the SEND Hub, with the date of the discussion of other avenues", ref.send_hub),
    Rule("REF-EXCLUSION-HISTORY", "must", ("refer",),
         "The student has had one or more fixed term exclusion and is considered to be at risk of permanent exclusion",
         POLICY, "when that reason is given: at least one suspension with date and days", ref.exclusion_history),
    Rule("REF-ATTENDANCE-EVIDENCE", "should", ("refer",), "has not been attending academy regularly", POLICY,
         "when that reason is given: the attendance figure it rests on", ref.attendance_evidence),
    Rule("REF-EHCNA", "should", ("refer", "ehcna"), "pending an Education health Care Needs Assessment", POLICY,
         "when that reason is given: the date the EHC needs assessment was requested; its later status (the LA "
         "agreed or refused to assess, the plan issued) each with its date, in order (ap ehcna)", ref.ehcna),
    Rule("REF-MANAGED-MOVE", "should", ("refer",),
         "a managed move ... may be attempted, with parents' consent, prior to other off-site/alternative provision",
         POLICY, "whether a managed move was considered and why it was or was not tried; a managed move tried "
         "needs the parents' consent recorded", ref.managed_move),
    # --- agreeing the placement ---
    Rule("MEET-PLANNING", "must", AGREEING,
         "The academy will set up a meeting involving all relevant parties, including parents/carers", POLICY,
         "a planning meeting before the notice, with a parent or carer present (or the recorded reason none "
         "could attend and how they were informed)", agree.planning_meeting),
    Rule("MEET-REASONS-EXPLAINED", "must", AGREEING,
         "clearly explain to families the reasons why the alternative provision is being offered", POLICY,
         "the planning meeting records that the reasons were explained", agree.reasons_explained),
    Rule("MEET-PEX-CLEAR", "must", AGREEING,
         "If the provision is being offered as an alternative to permanent exclusion this must be clear to parents",
         POLICY, "for such a case the planning meeting records that this was made clear", agree.exclusion_made_clear),
    Rule("DEC-PARENT-RESPONSE", "must", ("approval", "placement"),
         "where possible this direction is avoided as we believe partnership with parent/carers is key", POLICY,
         "the parents' response (accepted / refused) is recorded before the headteacher's approval, a placement "
         "and a notice", agree.parent_response),
    Rule("DEC-PEX-REFUSED", "must", ("approval", "placement"),
         "If parents refuse to accept the offer of alternative provision as an appropriate alternative to permanent "
         "exclusion, the Principal/Headteacher of the school would need to decide whether to proceed with the "
         "original exclusion", POLICY,
         "a refused alternative to permanent exclusion needs the headteacher's decision (direct, proceed with the "
         "exclusion, or withdraw) before anything else", agree.exclusion_refused),
    Rule("DEC-DIRECTION", "should", ("approval", "placement"),
         "where possible this direction is avoided as we believe partnership with parent/carers is key", POLICY,
         "placing without the parents' agreement is a direction: it needs the headteacher's decision to direct, "
         "with reasons", agree.direction),
    Rule("PLACE-HEADTEACHER", "must", ("placement", "change"), "The use of alternative provision is overseen by the Headteacher",
         POLICY, "the headteacher's approval (or direction) of the placement is recorded", agree.headteacher),
    Rule("PLACE-COMMISSIONING", "must", ("placement", "change"), "Commissioning Agreements are in place for all provision",
         POLICY, "a commissioning agreement (reference, date signed) before the notice", agree.commissioning),
    Rule("PLACE-BUDGET", "must", ("placement", "change"),
         "budgets for such provision are established in due time, approved by academy, Shaw Education Trust or "
         "Cannock SEND Hub", POLICY, "a cost and an approval by one of the approving bodies in the settings",
         agree.budget),
    Rule("PLACE-PROVIDER-KNOWN", "must", ("placement", "change"),
         "We currently only use one Local Authority Provision ... Littleton Green", POLICY,
         "the provider is one in the records folder's provider register", agree.provider_known),
    Rule("PLACE-PROVIDER-SAFEGUARDING", "must", ("placement", "change"),
         "all alternative providers adhere to the safeguarding policy held by the academy; schools should obtain "
         "written confirmation from the alternative provision provider that appropriate safeguarding checks have "
         "been carried out", f"{POLICY}; {KCSIE}",
         "the provider's record holds the date it confirmed the academy's safeguarding policy and the date of its "
         "written confirmation of staff checks, neither older than the settings' provider_confirmation_months "
         "(default 12) on the day of an open placement's step", agree.provider_safeguarding),
    Rule("PLACE-CORE-SUBJECTS", "should", ("placement",),
         "students continue to receive appropriate and challenging English and Maths teaching", POLICY,
         "the plan says how English and maths are taught", agree.core_subjects),
    Rule("PLACE-PLAN", "should", ("placement",),
         "agree the nature of the intervention, its objectives, reintegration and the timeline; a proposed maximum "
         "period of time", DFE_2025, "aims, a reintegration plan and an end date are recorded", agree.plan),
    Rule("PLACE-LA-INFORMED", "should", ("placement",),
         "Schools should always inform the local authority when they commission a placement", DFE_2025,
         "the date the local authority was told", agree.la_informed),
    Rule("PLACE-UNREGISTERED-FULL-TIME", "should", ("placement", "change"),
         "Any provider of education should be registered as an independent school if it meets the criteria – that "
         "it provides full-time education to five or more pupils of compulsory school age, or one such pupil who is "
         "looked-after or has an EHC plan", DFE_REGISTRATION,
         "a pupil placed full time in total (10 sessions a week, summed over the placements running alongside) "
         "with a provider that has no URN (not a registered school)", agree.unregistered_full_time,
         in_check="warning"),
    Rule("PLACE-STAYS-ON-ROLL", "must", ("placement", "attendance"),
         "remain on roll with the academy and the academy funds their place", POLICY,
         "sessions at the provider are marked with its register code, B or D, never K", agree.stays_on_roll),
    Rule("PLACE-KEY-STAGE-2", "must", ("placement", "change"),
         "a personalised curriculum for students at KS1 and KS2; ... to reduce the chances of them failing to "
         "successfully transition to high school", POLICY,
         "no placement day after the last day of the summer term of the pupil's Year 6 (year group from the date "
         "of birth and the 1 September cut-off, or as stated out of year group; the term from calendar.yaml); "
         "a last day in Year 6 past the terms calendar.yaml holds cannot be judged and is refused until it "
         "holds them", keystage.end_of_key_stage_2),
    # --- the notice ---
    Rule("NOTICE-IN-WRITING", "must", ("notice",),
         "parents will be notified in writing of any requirement that their child attend off-site provision",
         f"{POLICY}; {REGS}, reg 3(2); {S576}",
         "a notice is issued, and recorded, before the placement starts, to every parent within s576 (each person "
         "with parental responsibility or who has care of the child, a grandparent or foster carer the child lives "
         "with, say), each by the method recorded for them (post, email or hand) and the means the case holds",
         notice.in_writing),
    Rule("NOTICE-DEADLINE", "must", ("notice",),
         "no later than two days before the offsite placement is due to begin; not less than two school days "
         "before the relevant day", f"{POLICY}; {REGS}, reg 3(2)",
         "at least N school days (default 2) between the notice date and the first day, the first day not counted",
         notice.deadline),
    Rule("NOTICE-ASAP", "due", ("review",), "Notice must be sent as soon as practical", f"{POLICY}; {REGS}, reg 3(2)",
         "a notice not yet sent after the decision is due, overdue once its latest legal date has passed",
         during.notice_asap),
    Rule("NOTICE-CONTENT", "must", ("notice", "change"), "The notice letter must be sent out explaining: ...",
         f"{POLICY}; {REGS}, reg 3(4)",
         "reasons; aims; the period as a number of days and its dates; the date and time it starts; the address and "
         "the person to report to; session times", notice.content),
    Rule("NOTICE-LA-COPY", "must", ("notice",),
         "the notice also goes to the local authority where the pupil has an EHC plan", f"{REGS}, reg 3",
         "for a pupil with an EHC plan the notice is also addressed to the local authority that maintains the plan "
         "(the case's, ap refer/ap edit --ehc-la, else the settings' school.local_authority), with its address",
         notice.la_copy),
    Rule("NOTICE-EVERY-PARENT", "due", ("review",),
         "parents will be notified in writing of any requirement that their child attend off-site provision",
         f"{POLICY}; {REGS}, reg 3(2); {S576}",
         "a parent or carer (or the LA) the notice did not reach, one added after it was given, gets a copy "
         "(ap notice CASE --to NAME): due until it is recorded, dated the day it goes, never judged late "
         "against the notice's deadline", notice.every_parent),
    Rule("LETTER-SCHOOL-DETAILS", "must", ("notice", "letter"),
         "partnership with parent/carers is key to successful placements; parents will be notified in writing of "
         "any requirement that their child attend off-site provision",
         f"{POLICY}; {REGS}, reg 3(2) (notice in writing) and reg 4A (a parent may request a review in writing)",
         "every letter (notice, invitation, review outcome) states who sent it and how to reply: the settings hold "
         "the school's postal address, the headteacher's name, a telephone number and an email address",
         notice.school_details, of_the_folder=True),
    # --- during the placement ---
    Rule("ATT-WEEKLY", "due", ("review",),
         "formally monitor attendance and update records and maintain contact with the alternative learning provide "
         "on a weekly basis", POLICY,
         "attendance marks up to date within the last 7 days, and a provider contact in each week",
         during.weekly_contact),
    Rule("ATT-ACCURATE", "due", ("review",),
         "every step should be taken to ensure that accurate attendance data is kept", POLICY,
         "every school session between the start and today has a mark", during.accurate_marks),
    Rule("ATT-CLOSURE-CODES", "due", ("review",),
         "#: planned school closure (not a possible session); Y1-Y7: unable to attend because of an unavoidable "
         "cause (not a possible session)", f"{ATTENDANCE_REGS}; {WORKING_TOGETHER}; {POLICY} (accurate attendance data)",
         "a mark of # or Y1-Y7 on a day the school is open stands only on a closure of the provider recorded for "
         "that day (ap provider closure); on a closure day only those marks (the import refuses the rest)",
         during.closure_codes),
    Rule("ATT-CODE-X", "due", ("review",),
         "X: not of compulsory school age (not a possible session)",
         f"{ATTENDANCE_REGS}; {WORKING_TOGETHER}; Education Act 1996 s8 and the Education (Start of Compulsory "
         "School Age) Order 1998",
         "no X for a pupil of compulsory school age on the mark's date (from the 31 December, 31 March or 31 "
         "August on or after the fifth birthday: every pupil in Years 1 to 6); the import refuses it",
         during.x_code),
    Rule("ATT-ABSENCE-FOLLOW-UP", "due", ("review",),
         "Alternative learning providers will contact the academy whenever the student is absent and also make "
         "contact with parents/carers", POLICY, "each absence has a follow-up noted", during.absence_follow_up),
    Rule("ATT-NOT-WORKING", "due", ("review",),
         "If the placement does not appear to be working or if the student is not attending - a formal meeting "
         "should be held involving the academy, parent/carer, student", POLICY,
         "attendance below the threshold, a concern raised by the provider or the school (ap concern), or a "
         "target whose latest measure is further from its goal than the measure before it (or the baseline) "
         "makes a formal meeting due", during.not_working),
    Rule("ATT-UNAUTHORISED", "due", ("review",),
         "failure to attend should carry the same consequences as non-attendance at the academy",
         f"{POLICY}; {ATTENDANCE_2024}",
         "unauthorised sessions (G, N, O, U) reaching the school's threshold (default 10 in a rolling 10 school "
         "weeks) make an attendance-officer action due within 5 school days: a meeting of kind attendance-concern "
         "with the attendance officer present, on or after the day; each reaching counts new sessions only",
         absent.unauthorised),
    Rule("EXCLUDED-FROM-AP-MEETING", "due", ("review",),
         "If a student is permanently excluded from an alternative provision placement, a meeting will be convened "
         "between the named mainstream school, alternative provider and the family", POLICY,
         "a refusal by the provider recorded (ap absence --excluded-by-provider) makes a meeting of kind exclusion "
         "due within 5 school days, until one on or after that day is recorded", absent.excluded_meeting),
    Rule("PROVIDER-RECONFIRM", "due", ("review",),
         "all alternative providers adhere to the safeguarding policy held by the academy; schools should obtain "
         "written confirmation from the alternative provision provider that appropriate safeguarding checks have "
         "been carried out", f"{POLICY}; {KCSIE}",
         "for each provider with an open placement, from 30 days before its safeguarding or staff-check "
         "confirmation runs out (12 months, a setting): confirm again (ap provider confirm); one item a provider",
         absent.reconfirm),
    Rule("SAFE-DSL", "must", ("safeguarding",),
         "any safeguarding concerns are raised with the DSL at the academy", POLICY,
         "a logged concern names the DSL and the date; the case holds a reference, never the details",
         end.safeguarding),
    Rule("BREAKDOWN-MEETING", "must", ("end",),
         "If an alternative placement breaks down the situation will be discussed and meeting convened and if it is "
         "unable to be resolved the students will be expected to return to the academy", POLICY,
         "ending a placement as broken down needs that meeting, with the academy (a member of staff), the provider "
         "and the family (a parent or carer) present, and records the day the pupil returns to the academy "
         "(ap end --returns D) or what happens instead (--instead)", end.breakdown),
    Rule("EXCLUDED-FROM-AP", "must", ("end",),
         "If a student is permanently excluded from an alternative provision placement, a meeting will be convened "
         "between the named mainstream school, alternative provider and the family", POLICY,
         "that meeting, with the academy (a member of staff), the provider and the family (a parent or carer) "
         "present, is recorded before the case can end that way", end.excluded_from_provision),
    # --- review ---
    Rule("REVIEW-ON-REQUEST", "due", ("review",),
         "a parent may request a review meeting in writing; held as soon as reasonably practicable, unless one was "
         "held in the 10 weeks before", f"{REGS}, reg 4A", "a written request makes a review due at once",
         during.review_on_request),
    Rule("REVIEW-TERMLY", "due", ("review",),
         "Any agreement around alternative provision for a student must be regularly reviewed ... occur every term; "
         "review meetings at such intervals as they, having regard to the needs of the pupil, consider appropriate",
         f"{POLICY}; {REGS}, reg 4(1)",
         "a review of the agreement in every term the placement is active; a review records who attended (the "
         "parents are invited: a parent or carer present, or why none came), the decision on how long the "
         "placement continues (--continue-until) and the next review date (ap review record)",
         during.termly_review),
    Rule("REVIEW-OUTCOME-NOTIFIED", "due", ("review",),
         "notification of the outcome of review", f"{REGS}, reg 6 (as amended by SI 2012/2532, reg 6)",
         "after each review the parents are sent its outcome (ap letter --kind review), due within "
         "review_letter_school_days school days (a setting, default 5); owed after the placement ends too",
         review.outcome_notified),
    Rule("TARGETS-HALF-TERMLY", "due", ("review",),
         "targets the students are set in a meeting at least once per half term", f"{POLICY}; {DFE_2025}",
         "a target meeting with the provider in every half term of the placement, that sets or reviews at least "
         "one target (ap target or ap measure on the meeting's date), with a parent, a carer or the pupil present "
         "(or the recorded reason none was)", during.half_termly_targets),
    Rule("PROGRESS-MONITORED", "due", ("review",),
         "Monitor attendance, behaviour and progress of students in alternative provision", POLICY,
         "behaviour and progress measures recorded for each half term", during.progress_monitored),
    Rule("PERIOD-END", "due", ("review",), "the period for which the student will be required to attend the placement",
         f"{POLICY}; {REGS}, reg 4", "as the period's last day nears, a decision to end or extend is due",
         during.period_end),
    Rule("TRANSITION-KS3", "due", ("review",),
         "practical skills that lead to successful transition to high school", POLICY,
         "from the first day of the spring term of the pupil's Year 6, while the case is open: the receiving "
         "secondary school told and the handover recorded (ap transition), due by the first school day of the "
         "summer term (secondary places are offered on 1 March)", keystage.transition),
    Rule("VALUE-FOR-MONEY", "due", ("report",),
         "regularly review the use of alternative provision to ensure that individual programmes are demonstrating "
         "value for money against student progress and outcomes", POLICY,
         "a report of cost against progress and outcomes, per pupil and in total"),
)
