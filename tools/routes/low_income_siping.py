"""低收入家庭认定 under the Siping Tiexi (四平铁西) model: the district social-assistance centre runs the
信息核对 through the provincial 核对机构 before acceptance; the street (乡街) investigates, recognises and
then publicises the result."""

# Household figures and the income/asset tests, shared with the national route. ASSUMPTIONS (the
# 2024 认定办法's procedure and Jilin's asset rule were not found, rules §6): financial assets per
# person at most 24 months of the local 低保 standard, no private motor vehicle, no second home.
# The tests are computed from the declaration for the officers and the notices; the verified
# outcome is the 信息核对 and the investigation, decided by a person.
HOUSEHOLD = (
    "household_size = len(members)\n"
    "total_income = money(sum(m['monthly_income'] for m in members))\n"
    "per_capita_income = money(total_income / household_size)\n"
    "low_income_income_limit = money(local_standard * 1.5)\n"
    "low_income_asset_limit = money(local_standard * 24 * household_size)\n"
    "low_income_income_test = per_capita_income < low_income_income_limit\n"
    "low_income_asset_test = bool(household_financial_assets <= low_income_asset_limit"
    " and household_vehicles == 0 and not household_extra_housing)\n"
    "approval_level = '{level}'"
)
# Valid for 12 calendar months counted from the month of the decision (ASSUMPTION, after the
# 刚性支出困难家庭认定办法's "≤ 12 months"); renewal needs a new application or review.
VALIDITY = (
    "low_income_validity_months = 12\n"
    "low_income_valid_from = iso_date(low_income_decided_on)\n"
    "low_income_last_month = int(low_income_valid_from[:4]) * 12 + int(low_income_valid_from[5:7]) - 1"
    " + low_income_validity_months - 1\n"
    "low_income_until_year = low_income_last_month // 12\n"
    "low_income_until_month = low_income_last_month % 12 + 1\n"
    "low_income_leap = (low_income_until_year % 4 == 0 and low_income_until_year % 100 != 0)"
    " or low_income_until_year % 400 == 0\n"
    "low_income_valid_until = iso_date(str(low_income_until_year) + '-' + str(low_income_until_month) + '-'"
    " + str([31, 29 if low_income_leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][low_income_until_month - 1]))"
)

ROUTE = {
    "id": "low_income_siping",
    "name": "低收入家庭认定（四平模式：区中心核对、乡街认定）",
    "documentation": (
        "四平市铁西区社会救助审批权限下放工作实施方案（征求意见稿）：低收入家庭认定审批权下放乡街。乡街向区社会救助中心提出核对需求，"
        "区中心通过省级核对机构比对；乡街根据核对结果受理，明显不符合的书面告知不予受理，对核对结果有异议的补证材料。"
        "乡街入户调查、邻里访问；无争议的不再民主评议，有争议的由社区组织民主评议（县里规则 democratic_appraisal 为 always 时一律评议）。"
        "乡街提出审批意见并认定，认定通过的在乡街和社区公示（publicity_duration）；公示有异议且成立的撤销认定。"
        "认定条件：家庭月人均收入低于当地低保标准的 1.5 倍（local_standard × 1.5），财产符合规定（假设：人均金融资产不超过 24 个月低保标准，"
        "无非营运机动车，无第二套住房）。有效期 12 个月（自认定当月起算，假设）。"
    ),
    "lanes": [("village", "社区（村）居民委员会"), ("township", "乡街（街道办事处、乡镇人民政府）"),
              ("district_center", "区社会救助中心")],
    "nodes": [
        {"id": "start", "type": "start", "name": "提出申请", "lane": "village", "col": 0, "form": "low_income_application"},
        {"id": "compute_household", "type": "script", "name": "计算家庭人均收入和财产", "lane": "township", "col": 0,
         "script": HOUSEHOLD.format(level="township")},
        {"id": "economic_check", "type": "user", "name": "信息核对（省级核对机构比对）", "lane": "district_center",
         "col": 1, "form": "economic_check", "props": {"deadline": "3wd"}},
        {"id": "acceptance", "type": "user", "name": "根据核对结果受理", "lane": "township", "col": 2,
         "form": "acceptance",
         "props": {"deadline": "3wd", "document:low_income_refusal_notice": "acceptance_decision == 'not_accepted'"}},
        {"id": "gw_acceptance", "type": "xor", "name": "是否受理", "lane": "township", "col": 3},
        {"id": "supplement", "type": "user", "name": "补证材料", "lane": "village", "col": 3, "form": "supplement",
         "props": {"clock": "paused"}},
        {"id": "end_not_accepted", "type": "end", "name": "不予受理", "lane": "township", "col": 3, "row": 1.3},
        {"id": "home_investigation", "type": "user", "name": "入户调查、邻里访问", "lane": "township", "col": 4,
         "form": "home_investigation", "props": {"deadline": "10wd"}},
        {"id": "township_review", "type": "user", "name": "乡街审核", "lane": "township", "col": 5,
         "form": "low_income_review", "props": {"deadline": "3wd"}},
        {"id": "gw_disputed", "type": "xor", "name": "是否有争议", "lane": "township", "col": 6},
        {"id": "democratic_appraisal", "type": "user", "name": "民主评议", "lane": "village", "col": 6,
         "form": "democratic_appraisal", "props": {"deadline": "5wd"}},
        {"id": "recognition", "type": "user", "name": "乡街审批认定", "lane": "township", "col": 7,
         "form": "low_income_decision",
         "props": {"deadline": "5wd",
                   "document:low_income_recognition_notice": "low_income_decision == 'recognised'",
                   "document:low_income_refusal_notice": "low_income_decision == 'not_recognised'"}},
        {"id": "gw_recognised", "type": "xor", "name": "是否认定", "lane": "township", "col": 8},
        {"id": "end_not_recognised", "type": "end", "name": "不予认定", "lane": "township", "col": 8, "row": 1.3},
        {"id": "compute_validity", "type": "script", "name": "确定有效期", "lane": "township", "col": 9,
         "script": VALIDITY},
        {"id": "result_publicity", "type": "user", "name": "认定结果公示（登记异议）", "lane": "township", "col": 10,
         "form": "publicity_objection", "props": {"deadline": "7d", "publicity": "result"}},
        {"id": "objection_review", "type": "user", "name": "核查公示异议", "lane": "township", "col": 11, "row": 1,
         "form": "low_income_objection_review",
         "props": {"deadline": "10wd", "document:low_income_refusal_notice": "low_income_objection_upheld == True"}},
        {"id": "gw_objection", "type": "xor", "name": "异议是否成立", "lane": "township", "col": 12, "row": 1},
        {"id": "end_recognised", "type": "end", "name": "认定为低收入家庭", "lane": "township", "col": 13},
        {"id": "end_revoked", "type": "end", "name": "撤销认定", "lane": "township", "col": 13, "row": 1},
    ],
    "boundaries": [
        {"id": "publicity_ends", "name": "公示期满", "attached_to": "result_publicity", "duration": "publicity_period(publicity_duration, publicity_days, publicity_unit)"},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "compute_household"},
        {"id": "f_computed", "name": "提出核对需求", "source": "compute_household", "target": "economic_check"},
        {"id": "f_checked", "name": "反馈核对结果", "source": "economic_check", "target": "acceptance"},
        {"id": "f_to_acc_gw", "source": "acceptance", "target": "gw_acceptance"},
        {"id": "f_accepted", "name": "受理", "source": "gw_acceptance", "target": "home_investigation",
         "condition": "acceptance_decision == 'accepted'"},
        {"id": "f_incomplete", "name": "补证（含对核对结果有异议）", "source": "gw_acceptance", "target": "supplement",
         "condition": "acceptance_decision == 'incomplete'"},
        {"id": "f_not_accepted", "name": "明显不符合，不予受理", "source": "gw_acceptance", "target": "end_not_accepted",
         "default": True},
        {"id": "f_resubmitted", "name": "重新提交", "source": "supplement", "target": "acceptance", "via": 90},
        {"id": "f_investigated", "source": "home_investigation", "target": "township_review"},
        {"id": "f_to_dispute_gw", "source": "township_review", "target": "gw_disputed"},
        {"id": "f_disputed", "name": "有争议", "source": "gw_disputed", "target": "democratic_appraisal",
         "condition": "low_income_disputed == True or democratic_appraisal == 'always'"},
        {"id": "f_undisputed", "name": "无争议，不再评议", "source": "gw_disputed", "target": "recognition",
         "default": True},
        {"id": "f_appraised", "source": "democratic_appraisal", "target": "recognition"},
        {"id": "f_to_recognised_gw", "source": "recognition", "target": "gw_recognised"},
        {"id": "f_recognised", "name": "认定", "source": "gw_recognised", "target": "compute_validity",
         "condition": "low_income_decision == 'recognised'"},
        {"id": "f_not_recognised", "name": "不予认定", "source": "gw_recognised", "target": "end_not_recognised",
         "default": True},
        {"id": "f_validity", "source": "compute_validity", "target": "result_publicity"},
        {"id": "f_publicity_ended", "name": "无异议", "source": "publicity_ends", "target": "end_recognised"},
        {"id": "f_objection", "name": "有异议", "source": "result_publicity", "target": "objection_review"},
        {"id": "f_to_objection_gw", "source": "objection_review", "target": "gw_objection"},
        {"id": "f_objection_upheld", "name": "异议成立", "source": "gw_objection", "target": "end_revoked",
         "condition": "low_income_objection_upheld == True"},
        {"id": "f_objection_dismissed", "name": "异议不成立", "source": "gw_objection", "target": "end_recognised",
         "default": True},
    ],
}
