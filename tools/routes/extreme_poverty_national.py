"""特困 under the national default (《特困人员认定办法》第3条): the township accepts, investigates,
gives the preliminary opinion and publicises it; the county's 民政 department runs the information
check, assesses self-care, confirms (with household spot checks) and issues the 特困人员供养证.
A refusal is delivered through the township. Also run where 特困 is not delegated (相山区三堤口街道)."""

# 《特困人员认定办法》第4–9条: no working capacity + no source of living + no (able) obliged supporter.
PRECHECK = (
    "support_decided_by = 'county'\n"
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

ROUTE = {
    "id": "extreme_poverty_national",
    "name": "特困人员救助供养审核确认（全国通行：乡镇初审、县级确认）",
    "documentation": "《特困人员认定办法》(民政部 2021): 乡镇人民政府（街道办事处）受理、调查、初审、公示；县级民政部门"
                     "信息核对、生活自理能力评估、审核确认（入户抽查不低于30%）并发放供养证；不予确认的，3个工作日内"
                     "经乡镇（街道）书面告知。",
    "lanes": [("village", "村（居）民委员会"), ("township", "乡镇人民政府（街道办事处）"),
              ("county", "县级人民政府民政部门")],
    "nodes": [
        {"id": "start", "type": "start", "name": "提出申请", "lane": "village", "col": 0,
         "form": "extreme_poverty_application"},
        {"id": "precheck", "type": "script", "name": "初步判定特困条件", "lane": "township", "col": 0.9,
         "script": PRECHECK},
        {"id": "acceptance", "type": "user", "name": "受理审查", "lane": "township", "col": 2, "form": "acceptance",
         "props": {"deadline": "5wd",
                   "document:extreme_poverty_acceptance_notice": "acceptance_decision == 'accepted'",
                   "document:extreme_poverty_supplement_notice": "acceptance_decision == 'incomplete'",
                   "document:extreme_poverty_rejection_notice": "acceptance_decision == 'not_accepted'"}},
        {"id": "gw_acceptance", "type": "xor", "name": "材料是否齐全", "lane": "township", "col": 3},
        {"id": "supplement", "type": "user", "name": "补正材料", "lane": "village", "col": 3.8, "form": "supplement",
         "props": {"clock": "paused"}},
        {"id": "end_not_accepted", "type": "end", "name": "不予受理", "lane": "township", "col": 3.8},
        {"id": "economic_check", "type": "user", "name": "信息核对（申请人及法定义务人）", "lane": "county", "col": 4.3,
         "form": "economic_check", "props": {"deadline": "3wd"}},
        {"id": "gw_check", "type": "xor", "name": "核对结果", "lane": "county", "col": 5.3},
        {"id": "inform_check_result", "type": "user", "name": "告知核对结果", "lane": "township", "col": 6, "row": 0.55,
         "form": "check_notice", "props": {"deadline": "3wd"}},
        {"id": "gw_check_objection", "type": "xor", "name": "申请人是否异议", "lane": "township", "col": 7, "row": 0.55},
        {"id": "recheck", "type": "user", "name": "组织复查", "lane": "township", "col": 8, "row": 0.55,
         "form": "recheck", "props": {"deadline": "10wd"}},
        {"id": "gw_recheck", "type": "xor", "name": "复查结果", "lane": "township", "col": 9, "row": 0.55},
        {"id": "end_check_failed", "type": "end", "name": "核对不符合条件", "lane": "county", "col": 8},
        {"id": "gw_investigate", "type": "xor", "name": "", "lane": "township", "col": 10, "row": -0.55},
        {"id": "investigation", "type": "user", "name": "入户调查、邻里访问、信函索证", "lane": "township", "col": 11, "row": -0.55,
         "form": "extreme_poverty_investigation", "props": {"deadline": "10wd"}},
        {"id": "gw_appraisal", "type": "xor", "name": "是否民主评议（视情）", "lane": "township", "col": 12, "row": -0.55},
        {"id": "democratic_appraisal", "type": "user", "name": "民主评议", "lane": "village", "col": 13,
         "form": "democratic_appraisal", "props": {"deadline": "5wd"}},
        {"id": "gw_appraised", "type": "xor", "name": "", "lane": "township", "col": 14, "row": -0.55},
        {"id": "self_care_assessment", "type": "user", "name": "生活自理能力评估", "lane": "county", "col": 15,
         "form": "extreme_poverty_self_care_assessment", "props": {"deadline": "5wd"},
         "doc": "《特困人员认定办法》第20条：县级民政部门组织评估，可委托第三方，乡镇和村（居）委会协助。"},
        {"id": "compute_self_care", "type": "script", "name": "判定自理能力等级", "lane": "county", "col": 16,
         "script": SELF_CARE},
        {"id": "care_standard", "type": "rule", "name": "确定照料护理标准", "lane": "county", "col": 17,
         "decision": "extreme_poverty_care_allowance"},
        {"id": "preliminary_opinion", "type": "user", "name": "提出初审意见", "lane": "township", "col": 18, "row": -0.55,
         "form": "extreme_poverty_opinion",
         "props": {"deadline": "3wd", "document:extreme_poverty_publicity_list": "support_opinion == 'eligible'"}},
        {"id": "gw_opinion", "type": "xor", "name": "初审是否符合", "lane": "township", "col": 19, "row": -0.55},
        {"id": "gw_publicise", "type": "xor", "name": "", "lane": "village", "col": 20},
        {"id": "publicity", "type": "user", "name": "公示（登记异议）", "lane": "village", "col": 21,
         "form": "publicity_objection", "props": {"deadline": "7d", "publicity": "preliminary"}},
        {"id": "reinvestigation", "type": "user", "name": "重新调查核实", "lane": "township", "col": 22, "row": 0.55,
         "form": "reinvestigation", "props": {"deadline": "12wd"}},
        {"id": "revised_opinion", "type": "user", "name": "重新提出初审意见", "lane": "township", "col": 23, "row": 0.55,
         "form": "extreme_poverty_opinion",
         "props": {"deadline": "3wd", "document:extreme_poverty_publicity_list": "support_opinion == 'eligible'"}},
        {"id": "gw_revised", "type": "xor", "name": "重新初审是否符合", "lane": "township", "col": 24, "row": 0.55},
        {"id": "gw_to_confirm", "type": "xor", "name": "报送县级", "lane": "township", "col": 25, "row": -0.55},
        {"id": "confirmation", "type": "user", "name": "审核确认（入户抽查）", "lane": "county", "col": 26,
         "form": "extreme_poverty_confirmation",
         "props": {"deadline": "15wd",
                   "document:extreme_poverty_certificate": "confirmation_decision == 'confirmed'",
                   "document:extreme_poverty_refusal_notice": "confirmation_decision == 'not_confirmed'"}},
        {"id": "gw_confirmed", "type": "xor", "name": "是否确认", "lane": "county", "col": 27},
        {"id": "refusal_delivery", "type": "user", "name": "送达不予确认告知书", "lane": "township", "col": 28, "row": 0.55,
         "form": "extreme_poverty_notice_delivery", "props": {"deadline": "3wd"}},
        {"id": "end_not_confirmed", "type": "end", "name": "不予确认", "lane": "township", "col": 29, "row": 0.55},
        {"id": "compute_support", "type": "script", "name": "核定救助供养金额", "lane": "county", "col": 28,
         "script": SUPPORT},
        {"id": "gw_care_mode", "type": "xor", "name": "供养方式", "lane": "county", "col": 29.6},
        {"id": "institution_placement", "type": "user", "name": "安排入住供养服务机构", "lane": "county",
         "col": 31.6, "form": "extreme_poverty_institution_placement", "props": {"deadline": "10wd"}},
        {"id": "care_agreement", "type": "user", "name": "签订委托照料服务协议", "lane": "township", "col": 30.6, "row": -0.55,
         "form": "extreme_poverty_care_agreement", "props": {"deadline": "10wd"}},
        {"id": "end_confirmed", "type": "end", "name": "确认为特困人员", "lane": "township", "col": 32.6, "row": -0.55},
    ],
    "boundaries": [
        {"id": "publicity_ends", "name": "公示期满", "attached_to": "publicity", "duration": "publicity_period(publicity_duration, publicity_days, publicity_unit)"},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "precheck"},
        {"id": "f_prechecked", "source": "precheck", "target": "acceptance"},
        {"id": "f_to_acc_gw", "source": "acceptance", "target": "gw_acceptance"},
        {"id": "f_accepted", "name": "受理，提请核对", "source": "gw_acceptance", "target": "economic_check",
         "condition": "acceptance_decision == 'accepted'"},
        {"id": "f_incomplete", "name": "材料不全，一次性告知", "source": "gw_acceptance", "target": "supplement",
         "condition": "acceptance_decision == 'incomplete'"},
        {"id": "f_not_accepted", "name": "不予受理", "source": "gw_acceptance", "target": "end_not_accepted",
         "default": True},
        {"id": "f_resubmitted", "name": "重新提交", "source": "supplement", "target": "acceptance", "via": 90},
        {"id": "f_to_check_gw", "source": "economic_check", "target": "gw_check"},
        {"id": "f_check_passed", "name": "符合", "source": "gw_check", "target": "gw_investigate",
         "condition": "check_result == 'eligible'"},
        {"id": "f_check_failed", "name": "不符合", "source": "gw_check", "target": "inform_check_result",
         "default": True},
        {"id": "f_to_objection_gw", "source": "inform_check_result", "target": "gw_check_objection"},
        {"id": "f_check_objection", "name": "提出异议", "source": "gw_check_objection", "target": "recheck",
         "condition": "check_objection == True"},
        {"id": "f_no_check_objection", "name": "无异议", "source": "gw_check_objection", "target": "end_check_failed",
         "default": True},
        {"id": "f_to_recheck_gw", "source": "recheck", "target": "gw_recheck"},
        {"id": "f_recheck_passed", "name": "复查符合", "source": "gw_recheck", "target": "gw_investigate",
         "condition": "recheck_result == 'eligible'"},
        {"id": "f_recheck_failed", "name": "复查不符合", "source": "gw_recheck", "target": "end_check_failed",
         "default": True, "via": 560},
        {"id": "f_investigate", "source": "gw_investigate", "target": "investigation"},
        {"id": "f_investigated", "source": "investigation", "target": "gw_appraisal"},
        {"id": "f_appraisal", "name": "有争议或本地规定须评议", "source": "gw_appraisal", "target": "democratic_appraisal",
         "condition": "democratic_appraisal == 'always' or appraisal_requested == True"},
        {"id": "f_no_appraisal", "name": "无争议", "source": "gw_appraisal", "target": "gw_appraised", "default": True},
        {"id": "f_appraised", "source": "democratic_appraisal", "target": "gw_appraised"},
        {"id": "f_to_assessment", "name": "提请县级评估", "source": "gw_appraised", "target": "self_care_assessment"},
        {"id": "f_assessed", "source": "self_care_assessment", "target": "compute_self_care"},
        {"id": "f_to_care_standard", "source": "compute_self_care", "target": "care_standard"},
        {"id": "f_to_opinion", "source": "care_standard", "target": "preliminary_opinion"},
        {"id": "f_to_opinion_gw", "source": "preliminary_opinion", "target": "gw_opinion"},
        {"id": "f_publicise", "name": "拟认定，公示", "source": "gw_opinion", "target": "gw_publicise",
         "condition": "support_opinion == 'eligible'"},
        {"id": "f_opinion_ineligible", "name": "拟不认定", "source": "gw_opinion", "target": "gw_to_confirm",
         "default": True},
        {"id": "f_to_publicity", "source": "gw_publicise", "target": "publicity"},
        {"id": "f_publicity_ended", "name": "公示期满无异议", "source": "publicity_ends", "target": "gw_to_confirm"},
        {"id": "f_objection", "name": "有异议", "source": "publicity", "target": "reinvestigation"},
        {"id": "f_reinvestigated", "source": "reinvestigation", "target": "revised_opinion"},
        {"id": "f_to_revised_gw", "source": "revised_opinion", "target": "gw_revised"},
        {"id": "f_republicise", "name": "仍拟认定，重新公示", "source": "gw_revised", "target": "gw_publicise",
         "condition": "support_opinion == 'eligible'", "via": 70},
        {"id": "f_revised_ineligible", "name": "拟不认定", "source": "gw_revised", "target": "gw_to_confirm",
         "default": True},
        {"id": "f_to_confirmation", "name": "报送审核确认", "source": "gw_to_confirm", "target": "confirmation"},
        {"id": "f_to_confirmed_gw", "source": "confirmation", "target": "gw_confirmed"},
        {"id": "f_confirmed", "name": "确认，发放供养证", "source": "gw_confirmed", "target": "compute_support",
         "condition": "confirmation_decision == 'confirmed'"},
        {"id": "f_not_confirmed", "name": "不予确认，经乡镇告知", "source": "gw_confirmed", "target": "refusal_delivery",
         "default": True},
        {"id": "f_delivered", "source": "refusal_delivery", "target": "end_not_confirmed"},
        {"id": "f_to_care_mode_gw", "source": "compute_support", "target": "gw_care_mode"},
        {"id": "f_centralised", "name": "集中供养", "source": "gw_care_mode", "target": "institution_placement",
         "condition": "care_mode == 'centralised'"},
        {"id": "f_dispersed", "name": "分散供养", "source": "gw_care_mode", "target": "care_agreement",
         "default": True},
        {"id": "f_placed", "source": "institution_placement", "target": "end_confirmed"},
        {"id": "f_agreed", "source": "care_agreement", "target": "end_confirmed"},
    ],
}
