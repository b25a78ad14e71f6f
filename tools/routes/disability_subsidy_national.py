"""两项补贴 on the national route: the township accepts, reviews and publicises, the county
disability federation (残联) checks the certificate and level, the county civil-affairs bureau approves."""
import runpy
from pathlib import Path

ENTITLEMENT = runpy.run_path(str(Path(__file__).with_name("disability_subsidy_xiangshui.py")))["ENTITLEMENT"]
# ASSUMPTION: national placeholder amounts (元/月), same layout as the Xiangshui table; each county
# enters its province's standards as new dated rows.
NATIONAL_RATES = "[['2000-01-01', 80, 80, 80], ['2024-01-01', 90, 100, 90]]"

ROUTE = {
    "id": "disability_subsidy_national",
    "name": "困难残疾人生活补贴和重度残疾人护理补贴审批（全国通行：乡镇初审、残联审核、县级审批）",
    "documentation": (
        "国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见 (2015): 乡镇受理、初审，县级残联审核，县级民政审定。"
        "初审结果在村（社区）公示 7 天（安徽等地做法，rules §4），公示期按县里 publicity_duration；异议经乡镇核查。"
        "补贴条件同响水模式：生活补贴——低保家庭中持证残疾人；护理补贴——一级、二级及三级、四级智力、精神残疾人。"
        "补贴标准（假设，待各县文件确认）：2024-01-01 起生活补贴 90 元/月，护理补贴一级 100 元/月、其他 90 元/月。"
        "自申请当月起计发。不符合条件的由乡镇书面告知；县级不予批准的由县民政局书面告知。"
    ),
    "lanes": [("township", "乡镇人民政府（街道办事处）"), ("disability_federation", "县（区）残疾人联合会"),
              ("county", "县（区）民政局")],
    "nodes": [
        {"id": "start", "type": "start", "name": "提出申请", "lane": "township", "col": 0,
         "form": "disability_subsidy_application"},
        {"id": "acceptance", "type": "user", "name": "受理审查", "lane": "township", "col": 1, "form": "acceptance",
         "props": {"deadline": "5wd",
                   "document:disability_subsidy_refusal_notice": "acceptance_decision == 'not_accepted'"}},
        {"id": "gw_acceptance", "type": "xor", "name": "材料是否齐全", "lane": "township", "col": 2},
        {"id": "supplement", "type": "user", "name": "补正材料", "lane": "township", "col": 2, "row": -1.1,
         "form": "supplement", "props": {"clock": "paused"}},
        {"id": "end_not_accepted", "type": "end", "name": "不予受理", "lane": "township", "col": 2, "row": 1.3},
        {"id": "township_review", "type": "user", "name": "乡镇初审", "lane": "township", "col": 3,
         "form": "disability_subsidy_review", "props": {"deadline": "10wd"}},
        {"id": "gw_review", "type": "xor", "name": "初审是否符合", "lane": "township", "col": 4},
        {"id": "publicity", "type": "user", "name": "公示（登记异议）", "lane": "township", "col": 5,
         "form": "publicity_objection", "props": {"deadline": "7d", "publicity": "preliminary"}},
        {"id": "objection_check", "type": "user", "name": "核查公示异议", "lane": "township", "col": 6, "row": 1,
         "form": "disability_subsidy_objection_check", "props": {"deadline": "5wd"}},
        {"id": "gw_objection", "type": "xor", "name": "异议是否成立", "lane": "township", "col": 7, "row": 1},
        {"id": "federation_check", "type": "user", "name": "残联审核残疾人证及残疾等级", "lane": "disability_federation",
         "col": 7, "form": "disability_subsidy_federation_check", "props": {"deadline": "10wd"}},
        {"id": "compute_entitlement", "type": "script", "name": "核定补贴项目和金额", "lane": "disability_federation",
         "col": 8, "script": ENTITLEMENT.format(rates=NATIONAL_RATES, level="county")},
        {"id": "gw_entitled", "type": "xor", "name": "是否符合补贴条件", "lane": "disability_federation", "col": 9},
        {"id": "inform_ineligible", "type": "user", "name": "书面告知不符合条件", "lane": "township", "col": 9,
         "row": 1, "form": "disability_subsidy_refusal",
         "props": {"deadline": "3wd", "document:disability_subsidy_refusal_notice": "True"}},
        {"id": "end_ineligible", "type": "end", "name": "不符合补贴条件", "lane": "township", "col": 10, "row": 1},
        {"id": "county_approval", "type": "user", "name": "县级审定", "lane": "county", "col": 10,
         "form": "disability_subsidy_decision",
         "props": {"deadline": "10wd",
                   "document:disability_subsidy_approval_notice": "disability_subsidy_decision == 'approved'",
                   "document:disability_subsidy_refusal_notice": "disability_subsidy_decision == 'rejected'"}},
        {"id": "gw_decision", "type": "xor", "name": "是否批准", "lane": "county", "col": 11},
        {"id": "end_approved", "type": "end", "name": "批准发放", "lane": "county", "col": 12},
        {"id": "end_refused", "type": "end", "name": "不予批准", "lane": "county", "col": 12, "row": 1},
    ],
    "boundaries": [
        {"id": "publicity_ends", "name": "公示期满", "attached_to": "publicity", "duration": "publicity_period(publicity_duration, publicity_days, publicity_unit)"},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "acceptance"},
        {"id": "f_to_acc_gw", "source": "acceptance", "target": "gw_acceptance"},
        {"id": "f_accepted", "name": "受理", "source": "gw_acceptance", "target": "township_review",
         "condition": "acceptance_decision == 'accepted'"},
        {"id": "f_incomplete", "name": "材料不全，一次性告知", "source": "gw_acceptance", "target": "supplement",
         "condition": "acceptance_decision == 'incomplete'"},
        {"id": "f_not_accepted", "name": "不予受理", "source": "gw_acceptance", "target": "end_not_accepted",
         "default": True},
        {"id": "f_resubmitted", "name": "重新提交", "source": "supplement", "target": "acceptance"},
        {"id": "f_to_review_gw", "source": "township_review", "target": "gw_review"},
        {"id": "f_review_eligible", "name": "符合，公示", "source": "gw_review", "target": "publicity",
         "condition": "disability_review_opinion == 'eligible'"},
        {"id": "f_review_ineligible", "name": "不符合", "source": "gw_review", "target": "inform_ineligible",
         "default": True, "via": 460},
        {"id": "f_publicity_ended", "name": "无异议", "source": "publicity_ends", "target": "federation_check"},
        {"id": "f_objection", "name": "有异议", "source": "publicity", "target": "objection_check"},
        {"id": "f_to_objection_gw", "source": "objection_check", "target": "gw_objection"},
        {"id": "f_objection_upheld", "name": "异议成立", "source": "gw_objection", "target": "inform_ineligible",
         "condition": "disability_objection_upheld == True"},
        {"id": "f_objection_dismissed", "name": "异议不成立", "source": "gw_objection", "target": "federation_check",
         "default": True},
        {"id": "f_checked", "source": "federation_check", "target": "compute_entitlement"},
        {"id": "f_to_entitled_gw", "source": "compute_entitlement", "target": "gw_entitled"},
        {"id": "f_entitled", "name": "符合", "source": "gw_entitled", "target": "county_approval",
         "condition": "subsidy_entitled == True"},
        {"id": "f_not_entitled", "name": "不符合", "source": "gw_entitled", "target": "inform_ineligible",
         "default": True},
        {"id": "f_informed", "source": "inform_ineligible", "target": "end_ineligible"},
        {"id": "f_to_decision_gw", "source": "county_approval", "target": "gw_decision"},
        {"id": "f_approved", "name": "批准", "source": "gw_decision", "target": "end_approved",
         "condition": "disability_subsidy_decision == 'approved'"},
        {"id": "f_rejected", "name": "不予批准", "source": "gw_decision", "target": "end_refused", "default": True},
    ],
}
