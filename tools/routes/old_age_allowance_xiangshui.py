"""尊老金 (高龄津贴) under the Xiangshui (响水) model: the village lodges, the township approves."""

# The age step, shared with the national route. The date of birth comes from the ID number (the
# start form's pattern keeps it a plausible date); the age counts on the day of application.
# {rates} is the dated table [effective from, 80–89, 90–99, 100+] in 元/月; {level} who approves.
AGE = (
    "old_age_min_age = 80\n"
    "allowance_birth_date = iso_date(applicant_id_number[6:10] + '-' + applicant_id_number[10:12] + '-'"
    " + applicant_id_number[12:14])\n"
    "old_age_applied_on = iso_date(applied_on)\n"
    "allowance_age = int(old_age_applied_on[:4]) - int(allowance_birth_date[:4])"
    " - (1 if old_age_applied_on[5:] < allowance_birth_date[5:] else 0)\n"
    "old_age_rates = {rates}\n"
    "old_age_rate = [r for r in old_age_rates if r[0] <= old_age_applied_on][-1]\n"
    "old_age_band = '100+' if allowance_age >= 100 else ('90-99' if allowance_age >= 90 else"
    " ('80-89' if allowance_age >= old_age_min_age else 'under_80'))\n"
    "monthly_amount = money(old_age_rate[3] if allowance_age >= 100 else (old_age_rate[2] if allowance_age >= 90"
    " else (old_age_rate[1] if allowance_age >= old_age_min_age else 0)))\n"
    "old_age_rates_effective_from = old_age_rate[0]\n"
    "approval_level = '{level}'"
)
# ASSUMPTION: 响水's bands and amounts were not found (rules §5, §11); placeholders per month.
XIANGSHUI_RATES = "[['2000-01-01', 50, 100, 300], ['2024-01-01', 50, 150, 500]]"
PAYMENT = "payment_from = first_of_next_month(old_age_decided_on)"

ROUTE = {
    "id": "old_age_allowance_xiangshui",
    "name": "尊老金（高龄津贴）审批（响水模式：镇审批）",
    "documentation": (
        "响水县社会救助制度改革工作方案 (2021-08-21): 尊老金的县级审核确认权下放到镇，镇直接受理、审核、审批；县民政局监督。"
        "无家庭经济状况调查，无公示（rules §5）。年龄按公民身份号码中的出生日期计算至申请之日，年满 80 周岁方可享受。"
        "分档标准（假设，响水县标准未查到）：2024-01-01 起 80—89 周岁 50 元/月，90—99 周岁 150 元/月，100 周岁及以上 500 元/月；"
        "此前 50/100/300 元。自批准之次月起按月发放。"
    ),
    "lanes": [("village", "村（居）民委员会"), ("township", "镇人民政府")],
    "nodes": [
        {"id": "start", "type": "start", "name": "提出申请", "lane": "village", "col": 0,
         "form": "old_age_allowance_application"},
        {"id": "compute_age", "type": "script", "name": "计算年龄和津贴档次", "lane": "township", "col": 0,
         "script": AGE.format(rates=XIANGSHUI_RATES, level="township")},
        {"id": "gw_age", "type": "xor", "name": "是否年满80周岁", "lane": "township", "col": 1},
        {"id": "township_approval", "type": "user", "name": "镇审核审批", "lane": "township", "col": 2, "row": -0.6,
         "form": "old_age_allowance_decision",
         "props": {"deadline": "10wd",
                   "document:old_age_allowance_approval_notice": "old_age_decision == 'approved'",
                   "document:old_age_allowance_refusal_notice": "old_age_decision == 'rejected'"}},
        {"id": "gw_decision", "type": "xor", "name": "是否批准", "lane": "township", "col": 3, "row": -0.6},
        {"id": "compute_payment", "type": "script", "name": "确定发放起始月", "lane": "township", "col": 4, "row": -0.6,
         "script": PAYMENT},
        {"id": "end_approved", "type": "end", "name": "批准发放", "lane": "township", "col": 5, "row": -0.6},
        {"id": "end_refused", "type": "end", "name": "不予批准", "lane": "township", "col": 4, "row": 0.8},
        {"id": "inform_ineligible", "type": "user", "name": "书面告知不符合条件", "lane": "township", "col": 2,
         "row": 0.9, "form": "old_age_allowance_refusal",
         "props": {"deadline": "3wd", "document:old_age_allowance_refusal_notice": "True"}},
        {"id": "end_ineligible", "type": "end", "name": "未达到年龄条件", "lane": "township", "col": 3, "row": 1.2},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "compute_age"},
        {"id": "f_to_age_gw", "source": "compute_age", "target": "gw_age"},
        {"id": "f_old_enough", "name": "年满80周岁", "source": "gw_age", "target": "township_approval",
         "condition": "allowance_age >= old_age_min_age"},
        {"id": "f_too_young", "name": "未满80周岁", "source": "gw_age", "target": "inform_ineligible", "default": True},
        {"id": "f_informed", "source": "inform_ineligible", "target": "end_ineligible"},
        {"id": "f_to_decision_gw", "source": "township_approval", "target": "gw_decision"},
        {"id": "f_approved", "name": "批准", "source": "gw_decision", "target": "compute_payment",
         "condition": "old_age_decision == 'approved'"},
        {"id": "f_payment", "source": "compute_payment", "target": "end_approved"},
        {"id": "f_rejected", "name": "不予批准", "source": "gw_decision", "target": "end_refused", "default": True},
    ],
}
