"""Shared shape of the four dynamic-management (动态管理) routes; each route file calls ``build``.

The assistance type is case data (``assistance_type``), so one route serves every type. Two
families: the periodic review (复核, ``family="review"``) and the change of benefits outside the
review (``family="change"``). Two deciders: ``"township"`` (审核确认 delegated to the 乡镇/街道 —
the Xiangshui, Siping and Santidikou models) and ``"county"`` (national default: the 乡镇 checks and
proposes, the 县级民政部门 decides, 57号 Art. 32).

Rules followed (see shared/reference/social-assistance-rules.md):
- §1.1 step 13 / 57号 Art. 31–34: 乡镇 核查; 增发/减发/停发 with legal grounds; reductions and stops
  are notified with reasons; a family with no significant change keeps its amount (no decision
  needed, so the 乡镇 closes such a review itself); 渐退期 ≤ 6 months (2022 notice) for families
  whose income rose above the standard; a member refusing suitable jobs 3 times → that member's
  share is cut (Art. 34).
- §1.5: A/B/C classes with the county's review_interval_months_a/_b/_c; 特困 yearly (2020 opinion
  #7), 尊老金 yearly (annual re-certification).
- §2 step 8 (特困 termination): the decider publicises the termination 7 天 in the village; no
  objection → written termination decision effective the next month; objection → the decider
  investigates and decides within 15 wd, then publicises again; check transfer to 低保/临时救助
  (Art. 27).
- §9.2: under the Santidikou model the street's 评审小组 reviews every proposed change before the
  street decides (``delegation_model == 'santidikou'``).
"""
from __future__ import annotations

# Defaults for optional form fields, so later scripts and conditions can read them unconditionally.
PREPARE_COMMON = (
    "previous_monthly_amount = money(current_monthly_amount)\n"
    "previous_household_size = household_size\n"
    "proposed_monthly_amount = None\n"
    "proposed_exit_months = None\n"
    "proposal_reasons = ''\n"
    "amended_monthly_amount = None\n"
    "amended_exit_months = None\n"
    "amendment_reasons = ''\n"
    "member_share_deduction = 0\n"
    "job_refusal_count = 0\n"
    "job_refusing_member = ''\n"
    "termination_withdrawn = False\n"
)

# The decision: the proposal as agreed, or the decider's own. Changes take effect from the month
# after the decision (57号 Art. 21 by analogy; 特困 Art. 26); a gradual exit keeps the old amount
# for its months and stops from the first day after them.
FINALISE_COMMON = (
    "if decision_on_proposal == 'agree':\n"
    "    dynamic_decision = dynamic_proposal\n"
    "    decided_monthly_amount = proposed_monthly_amount\n"
    "    gradual_exit_months = proposed_exit_months\n"
    "    decision_reasons = proposal_reasons\n"
    "else:\n"
    "    dynamic_decision = amended_decision\n"
    "    decided_monthly_amount = amended_monthly_amount\n"
    "    gradual_exit_months = amended_exit_months\n"
    "    decision_reasons = amendment_reasons\n"
    "decided_on = iso_date(decided_on)\n"
    "effective_from = first_of_next_month(decided_on)\n"
    "new_monthly_amount = previous_monthly_amount\n"
    "stops_from = ''\n"
    "if dynamic_decision in ('increase', 'reduce'):\n"
    "    new_monthly_amount = money(decided_monthly_amount)\n"
    "if dynamic_decision in ('stop', 'terminate'):\n"
    "    new_monthly_amount = 0\n"
    "    stops_from = effective_from\n"
    "if dynamic_decision == 'gradual_exit':\n"
    "    stops_from = effective_from\n"
    "    for exit_month in range(gradual_exit_months):\n"
    "        stops_from = first_of_next_month(stops_from)\n"
    "monthly_amount = new_monthly_amount\n"
    "payment_from = effective_from\n"
)

# Next review: the first day of the month that lies N months after the month of the decision,
# N = 12 for 特困 and 尊老金 (yearly by rule), else the county's interval for the class after the
# review (A/B/C). Only a family that stays on the rolls gets one.
NEXT_REVIEW = (
    "if assistance_type in ('extreme_poverty', 'old_age_allowance'):\n"
    "    next_review_interval_months = 12\n"
    "else:\n"
    "    next_review_interval_months = {'A': review_interval_months_a, 'B': review_interval_months_b,\n"
    "                                   'C': review_interval_months_c}[new_review_class]\n"
    "continued_next_review_on = decided_on\n"
    "for review_month in range(next_review_interval_months):\n"
    "    continued_next_review_on = first_of_next_month(continued_next_review_on)\n"
    "next_review_on = ''\n"
    "if dynamic_decision in ('unchanged', 'increase', 'reduce'):\n"
    "    next_review_on = continued_next_review_on\n"
)

DECISION_DOCUMENTS = {
    "document:benefit_adjustment_notice": "dynamic_decision in ('increase', 'reduce')",
    # 特困 terminations get their decision only after the publicity (termination_decision).
    "document:benefit_stop_decision": "dynamic_decision == 'gradual_exit' or (dynamic_decision in ('stop', 'terminate')"
                                      " and assistance_type != 'extreme_poverty')",
}

LANE_LABELS = {
    "village": "村（居）民委员会",
    "township": "乡镇人民政府（街道办事处）",
    "review_panel": "街道评审小组",
    "county": "县（区）民政局",
}


def build(process_id: str, name: str, documentation: str, family: str, decider: str) -> dict:
    """The ROUTE dict of one dynamic-management route."""
    assert family in ("review", "change") and decider in ("township", "county")
    delegated = decider == "township"
    review = family == "review"
    d = decider  # the lane that decides, publicises a 特困 termination and handles objections to it
    lanes = ([("village", LANE_LABELS["village"])] if not review else []) + [("township", LANE_LABELS["township"])]
    lanes.append(("review_panel", LANE_LABELS["review_panel"]) if delegated else ("county", LANE_LABELS["county"]))
    index = {key: i for i, (key, _label) in enumerate(lanes)}

    def lane_top(lane: str) -> int:
        # Mirrors the scaffold's layout: lanes of 190 px from y = 60; used only to route loops.
        return 60 + 190 * index[lane]

    pool_bottom = 60 + 190 * len(lanes)
    top = -0.75  # row of the 特困 termination block, above the main line of the decider's lane
    low = 0.6  # row of the termination decision, below the termination block
    notice_row = low if delegated else 0

    nodes: list[dict] = []
    flows: list[dict] = []

    def node(**kw):
        nodes.append(kw)

    def flow(fid, source, target, **kw):
        flows.append({"id": fid, "source": source, "target": target, **kw})

    prepare = PREPARE_COMMON + f"decided_by_level = '{decider}'\ndynamic_route = '{family}'\n"
    if review:
        prepare += "previous_review_class = review_class\n"
        node(id="start", type="start", name="复核到期，发起复核", lane="township", col=0, form="dynamic_management_start")
        node(id="prepare", type="script", name="载入救助对象现有待遇", lane="township", col=1, script=prepare)
        node(id="home_visit", type="user", name="入户核查", lane="township", col=2, form="home_investigation",
             props={"deadline": "10wd"})
        node(id="check", type="user", name="复核评估（家庭变化、分类、复核意见）", lane="township", col=3,
             form="dynamic_review_assessment",
             props={"deadline": "5wd", "document:periodic_review_record": "dynamic_proposal == 'unchanged'"})
        flow("f_start", "start", "prepare")
        flow("f_prepared", "prepare", "home_visit")
        flow("f_visited", "home_visit", "check")
        check_date = "reviewed_on"
    else:
        node(id="start", type="start", name="报告或发现家庭变化", lane="village", col=0, form="dynamic_management_start")
        node(id="prepare", type="script", name="载入救助对象现有待遇", lane="township", col=1, script=prepare)
        node(id="check", type="user", name="核实变化情况并提出意见", lane="township", col=2,
             form="dynamic_change_verification", props={"deadline": "10wd"})
        flow("f_start", "start", "prepare")
        flow("f_prepared", "prepare", "check")
        check_date = "verified_on"
    c = 4 if review else 3  # column of the proposal gateway
    node(id="gw_proposal", type="xor", name="核查意见", lane="township", col=c)
    node(id="close_unchanged", type="script", name="无明显变化，维持原待遇", lane="township", col=c + 1, row=0.75,
         # Nothing to decide (57号 Art. 31): the township closes the review or the verification itself.
         script=f"decision_on_proposal = 'agree'\ndecided_on = {check_date}\ndecided_by_level = 'township'")
    flow("f_to_proposal_gw", "check", "gw_proposal")
    flow("f_proposal_unchanged", "gw_proposal", "close_unchanged", name="待遇不变",
         condition="dynamic_proposal == 'unchanged'")
    if review:
        node(id="deduct_member_share", type="script", name="核减三次拒绝就业成员的份额", lane="township",
             col=c + 1, row=-0.9,
             script="member_share_deduction = money(previous_monthly_amount / household_size)\n"
                    "proposed_monthly_amount = money(max(0, previous_monthly_amount - member_share_deduction))")
        flow("f_job_refusal", "gw_proposal", "deduct_member_share", name="成员三次拒绝就业，减发",
             condition="dynamic_proposal == 'reduce' and job_refusal_count >= 3")
    c += 2
    if delegated:
        node(id="gw_panel", type="xor", name="是否评审小组评审", lane="township", col=c)
        node(id="panel_review", type="user", name="评审小组评审", lane="review_panel", col=c + 1,
             form="panel_decision", props={"deadline": "5wd"})
        node(id="gw_panel_result", type="xor", name="评审结果", lane="review_panel", col=c + 2)
        node(id="gw_to_decision", type="xor", name="", lane="township", col=c + 3)
        flow("f_proposal_change", "gw_proposal", "gw_panel", name="增发、减发、停发、终止", default=True)
        if review:
            flow("f_share_deducted", "deduct_member_share", "gw_panel")
        flow("f_panel", "gw_panel", "panel_review", name="三堤口模式：评审小组评审",
             condition="delegation_model == 'santidikou'")
        flow("f_no_panel", "gw_panel", "gw_to_decision", name="否", default=True)
        flow("f_panel_done", "panel_review", "gw_panel_result")
        flow("f_panel_reinvestigate", "gw_panel_result", "home_visit" if review else "check", name="退回重新核查",
             condition="panel_decision == 'reinvestigate'", via=pool_bottom - 6)
        flow("f_panel_passed", "gw_panel_result", "gw_to_decision", name="提出评审意见", default=True)
        c += 4
    else:
        node(id="gw_to_decision", type="xor", name="", lane="township", col=c)
        flow("f_proposal_change", "gw_proposal", "gw_to_decision", name="增发、减发、停发、终止", default=True)
        if review:
            flow("f_share_deducted", "deduct_member_share", "gw_to_decision")
        c += 1

    decision_props = {"deadline": "5wd" if delegated else "10wd", **DECISION_DOCUMENTS}
    if review:
        decision_props["document:periodic_review_record"] = "True"
    decision_name = ("乡镇（街道）作出决定" if delegated else "县级民政部门作出决定")
    node(id="decision", type="user", name=decision_name, lane=d, col=c, form="dynamic_decision", props=decision_props)
    node(id="finalise", type="script", name="确定决定、金额、生效日期" + ("及下次复核日期" if review else ""),
         lane=d, col=c + 1, script=FINALISE_COMMON + (NEXT_REVIEW if review else ""))
    node(id="gw_outcome", type="xor", name="决定", lane=d, col=c + 2)
    flow("f_to_decision", "gw_to_decision", "decision")
    flow("f_decided", "decision", "finalise")
    flow("f_unchanged_closed", "close_unchanged", "finalise", via=lane_top("township") + 186)
    flow("f_finalised", "finalise", "gw_outcome")

    # 特困 termination: publicity, objections, decision (特困人员认定办法 Art. 24–27).
    pc = c + 3
    node(id="termination_publicity", type="user", name="终止救助供养公示（登记异议）", lane=d, col=pc, row=top,
         form="publicity_objection", props={"deadline": "7d", "publicity": "termination"})
    node(id="objection_review", type="user", name="调查异议并作出处理", lane=d, col=pc + 1, row=top,
         form="dynamic_termination_objection", props={"deadline": "15wd"})
    node(id="gw_objection", type="xor", name="异议是否成立", lane=d, col=pc + 2, row=top)
    node(id="continue_support", type="script", name="继续救助供养", lane=d, col=pc + 3, row=top,
         script="new_monthly_amount = previous_monthly_amount\nmonthly_amount = previous_monthly_amount\n"
                "stops_from = ''\ntermination_withdrawn = True"
                + ("\nnext_review_on = continued_next_review_on" if review else ""))
    node(id="end_continued", type="end", name="异议成立，继续救助供养", lane=d, col=pc + 4, row=top,
         props={"recipient": "continue"})
    node(id="termination_decision", type="user", name="公示期满，作出终止决定", lane=d, col=pc + 1, row=low,
         form="dynamic_termination_decision",
         props={"deadline": "3wd", "document:benefit_stop_decision": "True"})
    node(id="termination_effective", type="script", name="终止自次月起生效", lane=d, col=pc + 2, row=low,
         script="effective_from = first_of_next_month(termination_decided_on)\nstops_from = effective_from\n"
                "payment_from = effective_from")
    node(id="end_unchanged", type="end", name="维持原待遇", lane=d, col=pc - 0.25, row=0.45,
         props={"recipient": "continue"})

    # Every change is notified to the household through the 乡镇 (57号 Art. 21, 32).
    ic = pc + 3
    node(id="inform_household", type="user", name="送达决定、告知救助对象", lane="township", col=ic,
         row=notice_row, form="dynamic_household_notice", props={"deadline": "3wd"})
    node(id="gw_result", type="xor", name="", lane="township", col=ic + 1, row=notice_row)
    ends = [("end_increased", "增发", "dynamic_decision == 'increase'"),
            ("end_reduced", "减发", "dynamic_decision == 'reduce'"),
            ("end_gradual_exit", "渐退后停发", "dynamic_decision == 'gradual_exit'"),
            ("end_terminated", "终止", "dynamic_decision == 'terminate'"),
            ("end_stopped", "停发", None)]
    # What each outcome does to the register of recipients (engine.recipients.apply_outcome).
    effects = {"end_increased": "update", "end_reduced": "update", "end_gradual_exit": "stop",
               "end_terminated": "stop", "end_stopped": "stop"}
    for i, (end_id, end_name, _cond) in enumerate(ends):
        node(id=end_id, type="end", name=end_name, lane="township", col=ic + 2,
             row=-1.2 + 0.6 * i, props={"recipient": effects[end_id]})

    flow("f_outcome_unchanged", "gw_outcome", "end_unchanged", name="维持原待遇",
         condition="dynamic_decision == 'unchanged'")
    flow("f_outcome_termination", "gw_outcome", "termination_publicity", name="特困人员终止供养：先公示",
         condition="dynamic_decision in ('stop', 'terminate') and assistance_type == 'extreme_poverty'")
    flow("f_outcome_inform", "gw_outcome", "inform_household", name="增发、减发、渐退、停发、终止", default=True,
         **({"via": lane_top(d) + 185} if delegated else {}))
    flow("f_publicity_ended", "publicity_ends", "termination_decision", name="公示期满无异议")
    flow("f_objection", "termination_publicity", "objection_review", name="有异议")
    flow("f_objection_reviewed", "objection_review", "gw_objection")
    flow("f_objection_rejected", "gw_objection", "termination_publicity", name="异议不成立，重新公示",
         condition="termination_objection_finding == 'rejected'", via=lane_top(d) + 4)
    flow("f_objection_upheld", "gw_objection", "continue_support", name="异议成立", default=True)
    flow("f_continued", "continue_support", "end_continued")
    flow("f_termination_decided", "termination_decision", "termination_effective")
    flow("f_termination_effective", "termination_effective", "inform_household")
    flow("f_informed", "inform_household", "gw_result")
    for end_id, end_name, cond in ends:
        if cond:
            flow(f"f_{end_id[4:]}", "gw_result", end_id, name=end_name, condition=cond)
        else:
            flow(f"f_{end_id[4:]}", "gw_result", end_id, name=end_name, default=True)

    return {
        "id": process_id,
        "name": name,
        "documentation": documentation,
        "lanes": lanes,
        "nodes": nodes,
        "boundaries": [{"id": "publicity_ends", "name": "公示期满", "attached_to": "termination_publicity",
                        "duration": "publicity_period(publicity_duration, publicity_days, publicity_unit)"}],
        "flows": flows,
    }
