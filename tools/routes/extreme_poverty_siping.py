"""特困 under the Siping Tiexi (四平铁西) model: the 乡街 asks the district's 社会救助中心 for the
information check (through the provincial 核对机构) BEFORE accepting, then accepts, investigates,
assesses self-care, gives its approval opinion, publicises it and approves; a dispute may go to a
democratic appraisal (协理员、两委、单元长、网格长、居民代表).

The check sits in the county lane (区民政局, whose 区社会救助中心 runs it): the engine does not yet
let `district_center` users do tasks (engine/accounts.py STAFF_ROLES lacks the role). Once it does,
move economic_check, gw_check and end_check_failed to a ("district_center", "区社会救助中心") lane."""

# 《特困人员认定办法》第4–9条: no working capacity + no source of living + no (able) obliged supporter.
PRECHECK = (
    "support_decided_by = 'township'\n"
    "severe_disability = (disability_category in ('intellectual', 'mental') and 1 <= disability_grade <= 3) or "
    "(disability_category == 'physical' and 1 <= disability_grade <= 2) or "
    "(disability_category == 'visual' and disability_grade == 1)\n"
    "work_incapacity_basis = '年满60周岁' if age >= 60 else ('未满16周岁' if age < 16 else "
    "('残疾等级属无劳动能力情形' if severe_disability else ''))\n"
    "no_work_capacity = work_incapacity_basis != ''\n"
    "no_living_source = monthly_income < local_standard\n"
    "able_supporters = [s['name'] for s in supporters if s['supporter_status'] == 'able']\n"
    "no_capable_supporter = len(able_supporters) == 0\n"
    "meets_extreme_poverty_conditions = no_work_capacity and no_living_source and no_capable_supporter\n"
    "basic_living_standard = money(local_standard * 1.3)"
)
# 第20条: 6 activities; all done alone = 完全自理, 1–3 not = 部分失能, 4 or more not = 完全失能.
SELF_CARE = (
    "adl_unable = sum(1 for can_do in (adl_eating, adl_dressing, adl_bed_transfer, adl_toileting, "
    "adl_indoor_walking, adl_bathing) if not can_do)\n"
    "self_care_level = 'self_care' if adl_unable == 0 else ('partial' if adl_unable <= 3 else 'total')"
)
# Basic living standard: 1.3 × the local 低保 standard; care allowance by self-care level (DMN);
# paid from the month after the decision.
SUPPORT = (
    "basic_living_amount = money(local_standard * 1.3)\n"
    "care_allowance = money(local_standard * care_allowance_ratio)\n"
    "monthly_amount = money(basic_living_amount + care_allowance)\n"
    "payment_from = first_of_next_month(confirmed_on)"
)
# A failed check is answered with a written 不予受理 (seed 002 四(二)).
CHECK_REFUSAL = "document:extreme_poverty_rejection_notice"

ROUTE = {
    "id": "extreme_poverty_siping",
    "name": "特困人员救助供养审批（四平模式：乡街审批）",
    "documentation": "四平市铁西区社会救助审批权限下放工作实施方案（征求意见稿）: 乡街向区社会救助中心提出核对需求，"
                     "经省级核对机构比对后受理或书面告知不予受理；入户调查、邻里访问或第三方评估；有争议的组织民主评议；"
                     "乡街提出审批意见并在乡街宣传栏、村（社区）政务公开栏公示；审批不通过的书面告知。",
    "lanes": [("village", "社区（村）居民委员会"), ("township", "乡街（乡镇人民政府、街道办事处）"),
              ("county", "区民政局（区社会救助中心）")],
    "nodes": [
        {"id": "start", "type": "start", "name": "提出申请（授权核对）", "lane": "village", "col": 0,
         "form": "extreme_poverty_application"},
        {"id": "precheck", "type": "script", "name": "初步判定特困条件", "lane": "township", "col": 0.9,
         "script": PRECHECK},
        {"id": "economic_check", "type": "user", "name": "省级核对机构信息比对（申请人及法定义务人）",
         "lane": "county", "col": 2, "form": "economic_check", "props": {"deadline": "3wd"}},
        {"id": "gw_check", "type": "xor", "name": "核对结果", "lane": "county", "col": 3},
        {"id": "inform_check_result", "type": "user", "name": "告知核对结果", "lane": "township", "col": 4, "row": 0.55,
         "form": "check_notice",
         "props": {"deadline": "3wd", CHECK_REFUSAL: "check_objection == False"}},
        {"id": "gw_check_objection", "type": "xor", "name": "申请人是否异议", "lane": "township", "col": 5, "row": 0.55},
        {"id": "recheck", "type": "user", "name": "补证复查", "lane": "township", "col": 6, "row": 0.55,
         "form": "recheck", "props": {"deadline": "10wd", CHECK_REFUSAL: "recheck_result == 'ineligible'"}},
        {"id": "gw_recheck", "type": "xor", "name": "复查结果", "lane": "township", "col": 7, "row": 0.55},
        {"id": "end_check_failed", "type": "end", "name": "核对不符合，不予受理", "lane": "county", "col": 6},
        {"id": "gw_to_accept", "type": "xor", "name": "", "lane": "township", "col": 8, "row": -0.55},
        {"id": "acceptance", "type": "user", "name": "受理审查", "lane": "township", "col": 9, "row": -0.55,
         "form": "acceptance",
         "props": {"deadline": "5wd",
                   "document:extreme_poverty_acceptance_notice": "acceptance_decision == 'accepted'",
                   "document:extreme_poverty_supplement_notice": "acceptance_decision == 'incomplete'",
                   "document:extreme_poverty_rejection_notice": "acceptance_decision == 'not_accepted'"}},
        {"id": "gw_acceptance", "type": "xor", "name": "材料是否齐全", "lane": "township", "col": 10, "row": -0.55},
        {"id": "supplement", "type": "user", "name": "补正材料", "lane": "village", "col": 10.8, "form": "supplement",
         "props": {"clock": "paused"}},
        {"id": "end_not_accepted", "type": "end", "name": "不予受理", "lane": "township", "col": 10.8, "row": 0.55},
        {"id": "investigation", "type": "user", "name": "入户调查、邻里访问", "lane": "township", "col": 11.8, "row": -0.55,
         "form": "extreme_poverty_investigation", "props": {"deadline": "10wd"}},
        {"id": "gw_appraisal", "type": "xor", "name": "是否有争议", "lane": "township", "col": 12.8, "row": -0.55},
        {"id": "democratic_appraisal", "type": "user", "name": "民主评议", "lane": "village", "col": 13.8,
         "form": "democratic_appraisal", "props": {"deadline": "5wd"}},
        {"id": "gw_appraised", "type": "xor", "name": "", "lane": "township", "col": 14.8, "row": -0.55},
        {"id": "self_care_assessment", "type": "user", "name": "生活自理能力评估", "lane": "township", "col": 15.8,
         "row": -0.55, "form": "extreme_poverty_self_care_assessment", "props": {"deadline": "5wd"},
         "doc": "乡街组织评估，条件允许时委托第三方评估。"},
        {"id": "compute_self_care", "type": "script", "name": "判定自理能力等级", "lane": "township", "col": 16.8, "row": -0.55,
         "script": SELF_CARE},
        {"id": "care_standard", "type": "rule", "name": "确定照料护理标准", "lane": "township", "col": 17.8, "row": -0.55,
         "decision": "extreme_poverty_care_allowance"},
        {"id": "approval_opinion", "type": "user", "name": "提出审批意见", "lane": "township", "col": 18.8, "row": -0.55,
         "form": "extreme_poverty_opinion",
         "props": {"deadline": "3wd", "document:extreme_poverty_publicity_list": "support_opinion == 'eligible'"}},
        {"id": "gw_opinion", "type": "xor", "name": "审批意见", "lane": "township", "col": 19.8, "row": -0.55},
        {"id": "gw_publicise", "type": "xor", "name": "", "lane": "village", "col": 20.8},
        {"id": "publicity", "type": "user", "name": "乡街宣传栏、社区公开栏公示（登记异议）", "lane": "village",
         "col": 21.8, "form": "publicity_objection", "props": {"deadline": "7d", "publicity": "preliminary"}},
        {"id": "objection_handling", "type": "user", "name": "确定异议处理方式", "lane": "township", "col": 22.8, "row": 0.55,
         "form": "objection_handling", "props": {"deadline": "3wd"}},
        {"id": "gw_method", "type": "xor", "name": "处理方式", "lane": "township", "col": 23.8, "row": 0.55},
        {"id": "objection_appraisal", "type": "user", "name": "民主评议（公示异议）", "lane": "village", "col": 25.2,
         "form": "democratic_appraisal", "props": {"deadline": "5wd"}},
        {"id": "reinvestigation", "type": "user", "name": "重新调查核实", "lane": "township", "col": 24.8, "row": 0.55,
         "form": "reinvestigation", "props": {"deadline": "10wd"}},
        {"id": "gw_after_objection", "type": "xor", "name": "", "lane": "township", "col": 26.2, "row": 0.55},
        {"id": "revised_opinion", "type": "user", "name": "重新提出审批意见", "lane": "township", "col": 27.2, "row": 0.55,
         "form": "extreme_poverty_opinion",
         "props": {"deadline": "3wd", "document:extreme_poverty_publicity_list": "support_opinion == 'eligible'"}},
        {"id": "gw_revised", "type": "xor", "name": "重新审批意见", "lane": "township", "col": 28.2, "row": 0.55},
        {"id": "gw_to_approve", "type": "xor", "name": "", "lane": "township", "col": 29.2, "row": -0.55},
        {"id": "approval", "type": "user", "name": "乡街审批", "lane": "township", "col": 30.2, "row": -0.55,
         "form": "extreme_poverty_confirmation",
         "props": {"deadline": "10wd",
                   "document:extreme_poverty_certificate": "confirmation_decision == 'confirmed'",
                   "document:extreme_poverty_refusal_notice": "confirmation_decision == 'not_confirmed'"}},
        {"id": "gw_confirmed", "type": "xor", "name": "是否批准", "lane": "township", "col": 31.2, "row": -0.55},
        {"id": "compute_support", "type": "script", "name": "核定救助供养金额", "lane": "township", "col": 32.2, "row": -0.55,
         "script": SUPPORT},
        {"id": "gw_care_mode", "type": "xor", "name": "供养方式", "lane": "township", "col": 33.2, "row": -0.55},
        {"id": "institution_placement", "type": "user", "name": "安排入住供养服务机构", "lane": "township",
         "col": 34.2, "row": 0.8, "form": "extreme_poverty_institution_placement", "props": {"deadline": "10wd"}},
        {"id": "care_agreement", "type": "user", "name": "签订委托照料服务协议", "lane": "township", "col": 35.2, "row": -0.55,
         "form": "extreme_poverty_care_agreement", "props": {"deadline": "10wd"}},
        {"id": "end_confirmed", "type": "end", "name": "批准为特困人员", "lane": "township", "col": 36.2, "row": 0.8},
        {"id": "end_not_confirmed", "type": "end", "name": "审批不通过", "lane": "township", "col": 32.2, "row": 0.8},
    ],
    "boundaries": [
        {"id": "publicity_ends", "name": "公示期满", "attached_to": "publicity", "duration": "publicity_period(publicity_duration, publicity_days, publicity_unit)"},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "precheck"},
        {"id": "f_request_check", "name": "提出核对需求", "source": "precheck", "target": "economic_check"},
        {"id": "f_to_check_gw", "source": "economic_check", "target": "gw_check"},
        {"id": "f_check_passed", "name": "符合", "source": "gw_check", "target": "gw_to_accept",
         "condition": "check_result == 'eligible'"},
        {"id": "f_check_failed", "name": "明显不符合", "source": "gw_check", "target": "inform_check_result",
         "default": True},
        {"id": "f_to_objection_gw", "source": "inform_check_result", "target": "gw_check_objection"},
        {"id": "f_check_objection", "name": "有异议，补证", "source": "gw_check_objection", "target": "recheck",
         "condition": "check_objection == True"},
        {"id": "f_no_check_objection", "name": "无异议", "source": "gw_check_objection", "target": "end_check_failed",
         "default": True},
        {"id": "f_to_recheck_gw", "source": "recheck", "target": "gw_recheck"},
        {"id": "f_recheck_passed", "name": "复查符合", "source": "gw_recheck", "target": "gw_to_accept",
         "condition": "recheck_result == 'eligible'"},
        {"id": "f_recheck_failed", "name": "复查不符合", "source": "gw_recheck", "target": "end_check_failed",
         "default": True, "via": 560},
        {"id": "f_to_acceptance", "source": "gw_to_accept", "target": "acceptance"},
        {"id": "f_to_acc_gw", "source": "acceptance", "target": "gw_acceptance"},
        {"id": "f_accepted", "name": "受理", "source": "gw_acceptance", "target": "investigation",
         "condition": "acceptance_decision == 'accepted'"},
        {"id": "f_incomplete", "name": "材料不全，一次性告知", "source": "gw_acceptance", "target": "supplement",
         "condition": "acceptance_decision == 'incomplete'"},
        {"id": "f_not_accepted", "name": "不予受理", "source": "gw_acceptance", "target": "end_not_accepted",
         "default": True},
        {"id": "f_resubmitted", "name": "重新提交", "source": "supplement", "target": "acceptance", "via": 90},
        {"id": "f_investigated", "source": "investigation", "target": "gw_appraisal"},
        {"id": "f_appraisal", "name": "有争议", "source": "gw_appraisal", "target": "democratic_appraisal",
         "condition": "democratic_appraisal == 'always' or appraisal_requested == True"},
        {"id": "f_no_appraisal", "name": "无争议，不再评议", "source": "gw_appraisal", "target": "gw_appraised",
         "default": True},
        {"id": "f_appraised", "source": "democratic_appraisal", "target": "gw_appraised"},
        {"id": "f_to_assessment", "source": "gw_appraised", "target": "self_care_assessment"},
        {"id": "f_assessed", "source": "self_care_assessment", "target": "compute_self_care"},
        {"id": "f_to_care_standard", "source": "compute_self_care", "target": "care_standard"},
        {"id": "f_to_opinion", "source": "care_standard", "target": "approval_opinion"},
        {"id": "f_to_opinion_gw", "source": "approval_opinion", "target": "gw_opinion"},
        {"id": "f_publicise", "name": "拟批准，公示", "source": "gw_opinion", "target": "gw_publicise",
         "condition": "support_opinion == 'eligible'"},
        {"id": "f_opinion_ineligible", "name": "拟不批准", "source": "gw_opinion", "target": "gw_to_approve",
         "default": True},
        {"id": "f_to_publicity", "source": "gw_publicise", "target": "publicity"},
        {"id": "f_publicity_ended", "name": "公示期满无异议", "source": "publicity_ends", "target": "gw_to_approve"},
        {"id": "f_objection", "name": "有异议", "source": "publicity", "target": "objection_handling"},
        {"id": "f_to_method_gw", "source": "objection_handling", "target": "gw_method"},
        {"id": "f_objection_appraisal", "name": "民主评议", "source": "gw_method", "target": "objection_appraisal",
         "condition": "objection_method == 'democratic_appraisal'"},
        {"id": "f_reinvestigate", "name": "重新调查", "source": "gw_method", "target": "reinvestigation",
         "default": True},
        {"id": "f_objection_appraised", "source": "objection_appraisal", "target": "gw_after_objection"},
        {"id": "f_reinvestigated", "source": "reinvestigation", "target": "gw_after_objection"},
        {"id": "f_to_revised", "source": "gw_after_objection", "target": "revised_opinion"},
        {"id": "f_to_revised_gw", "source": "revised_opinion", "target": "gw_revised"},
        {"id": "f_republicise", "name": "仍拟批准，重新公示", "source": "gw_revised", "target": "gw_publicise",
         "condition": "support_opinion == 'eligible'", "via": 70},
        {"id": "f_revised_ineligible", "name": "拟不批准", "source": "gw_revised", "target": "gw_to_approve",
         "default": True},
        {"id": "f_to_approval", "source": "gw_to_approve", "target": "approval"},
        {"id": "f_to_confirmed_gw", "source": "approval", "target": "gw_confirmed"},
        {"id": "f_confirmed", "name": "批准，发放供养证", "source": "gw_confirmed", "target": "compute_support",
         "condition": "confirmation_decision == 'confirmed'"},
        {"id": "f_not_confirmed", "name": "不批准，书面告知", "source": "gw_confirmed", "target": "end_not_confirmed",
         "default": True},
        {"id": "f_to_care_mode_gw", "source": "compute_support", "target": "gw_care_mode"},
        {"id": "f_centralised", "name": "集中供养", "source": "gw_care_mode", "target": "institution_placement",
         "condition": "care_mode == 'centralised'"},
        {"id": "f_dispersed", "name": "分散供养", "source": "gw_care_mode", "target": "care_agreement",
         "default": True},
        {"id": "f_placed", "source": "institution_placement", "target": "end_confirmed"},
        {"id": "f_agreed", "source": "care_agreement", "target": "end_confirmed"},
    ],
}
