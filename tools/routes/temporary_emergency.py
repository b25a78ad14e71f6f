"""临时救助（急难型，先行救助）: the township helps at once, then completes the paperwork within the limit.

民发〔2018〕23号: for 急难型 cases the 乡镇 or county 民政 may skip 核对, 民主评议 and 公示 and help
directly; once the emergency eases they register the recipient, reason and amount and complete the
signatures and seals. 2020 意见 #15: "小金额先行救助，事后补充说明情况". Local practice (楚雄, 邹平):
help within 24–48 h, paperwork within 5 working days — modelled as an interrupting 7-day timer; when it
fires the county 民政局 follows up and completes the paperwork. The 补办审批 is the township's up to
small_temporary_limit and the county's above it (楚雄: the county decides above the quota). A refusal
means the help given is recovered.
"""

ROUTE = {
    "id": "temporary_emergency",
    "name": "临时救助（急难型：先行救助、限期补办审批手续）",
    "documentation": "民发〔2018〕23号：情况紧急的，乡镇（街道）可先行救助，紧急情况解除后补齐审核审批手续；"
                     "先行救助后 5 个工作日内补办（楚雄、邹平做法），逾期由县级民政部门督办。",
    "lanes": [("township", "乡镇人民政府（街道办事处）"), ("county", "县（区）民政局")],
    "nodes": [
        {"id": "start", "type": "start", "name": "急难情况报告或申请", "lane": "township", "col": 0,
         "form": "temporary_application"},
        {"id": "emergency_relief", "type": "user", "name": "先行救助", "lane": "township", "col": 1,
         "form": "temporary_emergency_relief",
         "props": {"deadline": "2d", "document:temporary_emergency_record": "temporary_emergency_amount > 0"}},
        {"id": "paperwork", "type": "user", "name": "补办手续（核实、登记、签字盖章）", "lane": "township", "col": 2,
         "form": "temporary_emergency_paperwork", "props": {"deadline": "5wd"}},
        {"id": "county_escalation", "type": "user", "name": "逾期未补办：县级督办并补办", "lane": "county", "col": 3,
         "form": "temporary_emergency_escalation", "props": {"deadline": "3wd"}},
        {"id": "gw_paperwork_done", "type": "xor", "name": "", "lane": "township", "col": 4},
        {"id": "set_approver", "type": "script", "name": "确定补办审批主体", "lane": "township", "col": 5,
         "script": "approver = 'township' if temporary_emergency_amount <= small_temporary_limit else 'county'"},
        {"id": "gw_approver", "type": "xor", "name": "是否超出乡镇审批额度", "lane": "township", "col": 6},
        {"id": "township_retro_approval", "type": "user", "name": "乡镇（街道）补办审批", "lane": "township", "col": 7,
         "form": "temporary_approval",
         "props": {"deadline": "3wd",
                   "document:temporary_assistance_approval_notice": "temporary_approval_decision == 'approved'",
                   "document:temporary_assistance_refusal_notice": "temporary_approval_decision == 'rejected'"}},
        {"id": "county_retro_approval", "type": "user", "name": "县级补办审批（超出额度）", "lane": "county", "col": 7,
         "form": "temporary_approval",
         "props": {"deadline": "5wd",
                   "document:temporary_assistance_approval_notice": "temporary_approval_decision == 'approved'",
                   "document:temporary_assistance_refusal_notice": "temporary_approval_decision == 'rejected'"}},
        {"id": "gw_approved", "type": "xor", "name": "是否批准", "lane": "township", "col": 8},
        {"id": "end_recorded", "type": "end", "name": "补办审批完成，登记备案", "lane": "township", "col": 9},
        {"id": "recovery", "type": "user", "name": "追回先行救助款物", "lane": "township", "col": 9, "row": 1,
         "form": "temporary_emergency_recovery", "props": {"deadline": "10wd"}},
        {"id": "end_recovered", "type": "end", "name": "不符合条件，救助款物已追回", "lane": "township", "col": 10, "row": 1},
    ],
    "boundaries": [
        {"id": "paperwork_overdue", "name": "补办期限届满", "attached_to": "paperwork", "duration": "days_duration(7)"},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "emergency_relief"},
        {"id": "f_relieved", "source": "emergency_relief", "target": "paperwork"},
        {"id": "f_paperwork_done", "name": "按期补办", "source": "paperwork", "target": "gw_paperwork_done"},
        {"id": "f_overdue", "name": "逾期", "source": "paperwork_overdue", "target": "county_escalation"},
        {"id": "f_escalation_done", "source": "county_escalation", "target": "gw_paperwork_done"},
        {"id": "f_to_set_approver", "source": "gw_paperwork_done", "target": "set_approver"},
        {"id": "f_to_approver_gw", "source": "set_approver", "target": "gw_approver"},
        {"id": "f_township", "name": "额度以内", "source": "gw_approver", "target": "township_retro_approval",
         "condition": "approver == 'township'"},
        {"id": "f_county", "name": "超出额度", "source": "gw_approver", "target": "county_retro_approval",
         "default": True},
        {"id": "f_township_decided", "source": "township_retro_approval", "target": "gw_approved"},
        {"id": "f_county_decided", "source": "county_retro_approval", "target": "gw_approved"},
        {"id": "f_approved", "name": "批准", "source": "gw_approved", "target": "end_recorded",
         "condition": "temporary_approval_decision == 'approved'"},
        {"id": "f_rejected", "name": "不予救助，追回", "source": "gw_approved", "target": "recovery", "default": True},
        {"id": "f_recovered", "source": "recovery", "target": "end_recovered"},
    ],
}
