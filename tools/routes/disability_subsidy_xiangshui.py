"""两项补贴 under the Xiangshui (响水) model: the township accepts and approves; the county disability
federation (残联) checks the certificate and the level before the township decides."""

# Amounts (元/月) as a dated table inside the script: [effective from, living subsidy, nursing subsidy
# for 一级, nursing subsidy for the other qualifying levels]. ASSUMPTION: 响水's own figures were not
# found (rules §4, §11); these are placeholders until the county's notice is entered as a new row.
XIANGSHUI_RATES = "[['2000-01-01', 90, 90, 90], ['2024-01-01', 100, 120, 100]]"
# The script of the entitlement step, shared with the national route: {rates} is the dated table,
# {level} who approves ('township' | 'county'; the documents name the issuer from it).
ENTITLEMENT = (
    "disability_rates = {rates}\n"
    "disability_rate = [r for r in disability_rates if r[0] <= iso_date(applied_on)][-1]\n"
    "disability_level_checked = disability_verified_level if disability_certificate_valid else 0\n"
    "disability_category_checked = disability_verified_category if disability_certificate_valid else ''\n"
    "disability_certificate_matches = disability_certificate_number[:18] == applicant_id_number\n"
    "living_subsidy_eligible = bool(disability_certificate_valid and disability_certificate_matches\n"
    "    and disability_subsidy_requested in ('living', 'both') and household_status == 'dibao')\n"
    "nursing_subsidy_eligible = bool(disability_certificate_valid and disability_certificate_matches\n"
    "    and disability_subsidy_requested in ('nursing', 'both')\n"
    "    and (disability_level_checked in (1, 2)\n"
    "         or (disability_category_checked in ('intellectual', 'mental') and disability_level_checked in (3, 4))))\n"
    "living_subsidy_amount = money(disability_rate[1] if living_subsidy_eligible else 0)\n"
    "nursing_subsidy_amount = money((disability_rate[2] if disability_level_checked == 1 else disability_rate[3])\n"
    "    if nursing_subsidy_eligible else 0)\n"
    "monthly_amount = money(living_subsidy_amount + nursing_subsidy_amount)\n"
    "subsidy_entitled = monthly_amount > 0\n"
    "disability_rates_effective_from = disability_rate[0]\n"
    # 2015 national opinion: paid from the month the application was lodged.
    "payment_from = iso_date(applied_on)[:8] + '01'\n"
    "approval_level = '{level}'"
)

ROUTE = {
    "id": "disability_subsidy_xiangshui",
    "name": "困难残疾人生活补贴和重度残疾人护理补贴审批（响水模式：镇审批，残联审核残疾等级）",
    "documentation": (
        "响水县社会救助制度改革工作方案 (2021-08-21): 困难残疾人两项补贴的县级审核确认权下放到镇，镇直接负责受理、审核、审批；"
        "县民政局业务指导和监督。残联对残疾人证和残疾等级的审核不能下放给镇民政办（rules §4 design note），故保留县残联审核环节。"
        "无审批前公示（全国文件未要求；批准后按长期公示管理）。"
        "补贴条件：生活补贴——最低生活保障家庭中持第二代残疾人证的残疾人；护理补贴——一级、二级残疾人及三级、四级智力、精神残疾人。"
        "残疾人证号前18位须与申请人公民身份号码一致。"
        "补贴标准（假设，待县里文件确认）：按申请日期取脚本中的日期表，2024-01-01 起生活补贴 100 元/月，护理补贴一级 120 元/月、其他 100 元/月。"
        "自申请当月起计发（2015 年国务院意见）。特困人员与两项补贴的衔接规则未确认，未在流程中限制。"
    ),
    "lanes": [("village", "村（居）民委员会"), ("township", "镇人民政府"), ("disability_federation", "县残疾人联合会")],
    "nodes": [
        {"id": "start", "type": "start", "name": "提出申请", "lane": "village", "col": 0,
         "form": "disability_subsidy_application"},
        {"id": "acceptance", "type": "user", "name": "受理审查", "lane": "township", "col": 1, "form": "acceptance",
         "props": {"deadline": "5wd",
                   "document:disability_subsidy_refusal_notice": "acceptance_decision == 'not_accepted'"}},
        {"id": "gw_acceptance", "type": "xor", "name": "材料是否齐全", "lane": "township", "col": 2},
        {"id": "supplement", "type": "user", "name": "补正材料", "lane": "village", "col": 2, "form": "supplement",
         "props": {"clock": "paused"}},
        {"id": "end_not_accepted", "type": "end", "name": "不予受理", "lane": "township", "col": 2, "row": 1.3},
        {"id": "federation_check", "type": "user", "name": "残联审核残疾人证及残疾等级", "lane": "disability_federation",
         "col": 3, "form": "disability_subsidy_federation_check", "props": {"deadline": "10wd"}},
        {"id": "compute_entitlement", "type": "script", "name": "核定补贴项目和金额", "lane": "township", "col": 4,
         "script": ENTITLEMENT.format(rates=XIANGSHUI_RATES, level="township")},
        {"id": "gw_entitled", "type": "xor", "name": "是否符合补贴条件", "lane": "township", "col": 5},
        {"id": "inform_ineligible", "type": "user", "name": "书面告知不符合条件", "lane": "township", "col": 6, "row": 1,
         "form": "disability_subsidy_refusal",
         "props": {"deadline": "3wd", "document:disability_subsidy_refusal_notice": "True"}},
        {"id": "end_ineligible", "type": "end", "name": "不符合补贴条件", "lane": "township", "col": 7, "row": 1},
        {"id": "township_approval", "type": "user", "name": "镇审批", "lane": "township", "col": 6, "row": -0.6,
         "form": "disability_subsidy_decision",
         "props": {"deadline": "10wd",
                   "document:disability_subsidy_approval_notice": "disability_subsidy_decision == 'approved'",
                   "document:disability_subsidy_refusal_notice": "disability_subsidy_decision == 'rejected'"}},
        {"id": "gw_decision", "type": "xor", "name": "是否批准", "lane": "township", "col": 7, "row": -0.6},
        {"id": "end_approved", "type": "end", "name": "批准发放", "lane": "township", "col": 8, "row": -0.6},
        {"id": "end_refused", "type": "end", "name": "不予批准", "lane": "township", "col": 8, "row": 1},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "acceptance"},
        {"id": "f_to_acc_gw", "source": "acceptance", "target": "gw_acceptance"},
        {"id": "f_accepted", "name": "受理", "source": "gw_acceptance", "target": "federation_check",
         "condition": "acceptance_decision == 'accepted'"},
        {"id": "f_incomplete", "name": "材料不全，一次性告知", "source": "gw_acceptance", "target": "supplement",
         "condition": "acceptance_decision == 'incomplete'"},
        {"id": "f_not_accepted", "name": "不予受理", "source": "gw_acceptance", "target": "end_not_accepted",
         "default": True},
        {"id": "f_resubmitted", "name": "重新提交", "source": "supplement", "target": "acceptance", "via": 90},
        {"id": "f_checked", "source": "federation_check", "target": "compute_entitlement"},
        {"id": "f_to_entitled_gw", "source": "compute_entitlement", "target": "gw_entitled"},
        {"id": "f_entitled", "name": "符合", "source": "gw_entitled", "target": "township_approval",
         "condition": "subsidy_entitled == True"},
        {"id": "f_not_entitled", "name": "不符合", "source": "gw_entitled", "target": "inform_ineligible",
         "default": True},
        {"id": "f_informed", "source": "inform_ineligible", "target": "end_ineligible"},
        {"id": "f_to_decision_gw", "source": "township_approval", "target": "gw_decision"},
        {"id": "f_approved", "name": "批准", "source": "gw_decision", "target": "end_approved",
         "condition": "disability_subsidy_decision == 'approved'"},
        {"id": "f_rejected", "name": "不予批准", "source": "gw_decision", "target": "end_refused", "default": True},
    ],
}
