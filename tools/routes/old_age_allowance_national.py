"""尊老金 (高龄津贴) on the national route: the township reviews, the county approves."""
import runpy
from pathlib import Path

_XIANGSHUI = runpy.run_path(str(Path(__file__).with_name("old_age_allowance_xiangshui.py")))
AGE, PAYMENT = _XIANGSHUI["AGE"], _XIANGSHUI["PAYMENT"]
# 贵池区 (Anhui) bands, the one local example confirmed (rules §5): 80–89: 30, 90–99: 60, 100+: 300 元/月.
NATIONAL_RATES = "[['2000-01-01', 30, 60, 300]]"

ROUTE = {
    "id": "old_age_allowance_national",
    "name": "尊老金（高龄津贴）审批（全国通行：乡镇审核、县级审批）",
    "documentation": (
        "典型流程（贵池区, rules §5）：本人或赡养人申请 → 乡镇审核（户籍、身份、生存状况） → 县（区）民政局审批 → 银行按月发放。"
        "无家庭经济状况调查，无公示。年龄按公民身份号码中的出生日期计算至申请之日，年满 80 周岁方可享受。"
        "分档标准取贵池区例：80—89 周岁 30 元/月，90—99 周岁 60 元/月，100 周岁及以上 300 元/月（各地按本地标准增加日期行）。"
        "自批准之次月起按月发放。未满 80 周岁或乡镇审核不符合的，由乡镇书面告知；县级不予批准的由县民政局书面告知。"
    ),
    "lanes": [("township", "乡镇人民政府（街道办事处）"), ("county", "县（区）民政局")],
    "nodes": [
        {"id": "start", "type": "start", "name": "提出申请", "lane": "township", "col": 0,
         "form": "old_age_allowance_application"},
        {"id": "compute_age", "type": "script", "name": "计算年龄和津贴档次", "lane": "township", "col": 1,
         "script": AGE.format(rates=NATIONAL_RATES, level="county")},
        {"id": "gw_age", "type": "xor", "name": "是否年满80周岁", "lane": "township", "col": 2},
        {"id": "township_review", "type": "user", "name": "乡镇审核", "lane": "township", "col": 3, "row": -0.6,
         "form": "old_age_allowance_review", "props": {"deadline": "10wd"}},
        {"id": "gw_review", "type": "xor", "name": "审核是否符合", "lane": "township", "col": 4, "row": -0.6},
        {"id": "inform_ineligible", "type": "user", "name": "书面告知不符合条件", "lane": "township", "col": 4,
         "row": 0.9, "form": "old_age_allowance_refusal",
         "props": {"deadline": "3wd", "document:old_age_allowance_refusal_notice": "True"}},
        {"id": "end_ineligible", "type": "end", "name": "不符合条件", "lane": "township", "col": 5, "row": 0.9},
        {"id": "county_approval", "type": "user", "name": "县级审批", "lane": "county", "col": 5,
         "form": "old_age_allowance_decision",
         "props": {"deadline": "10wd",
                   "document:old_age_allowance_approval_notice": "old_age_decision == 'approved'",
                   "document:old_age_allowance_refusal_notice": "old_age_decision == 'rejected'"}},
        {"id": "gw_decision", "type": "xor", "name": "是否批准", "lane": "county", "col": 6},
        {"id": "compute_payment", "type": "script", "name": "确定发放起始月", "lane": "county", "col": 7,
         "script": PAYMENT},
        {"id": "end_approved", "type": "end", "name": "批准发放", "lane": "county", "col": 8},
        {"id": "end_refused", "type": "end", "name": "不予批准", "lane": "county", "col": 7, "row": 1.2},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "compute_age"},
        {"id": "f_to_age_gw", "source": "compute_age", "target": "gw_age"},
        {"id": "f_old_enough", "name": "年满80周岁", "source": "gw_age", "target": "township_review",
         "condition": "allowance_age >= old_age_min_age"},
        {"id": "f_too_young", "name": "未满80周岁", "source": "gw_age", "target": "inform_ineligible", "default": True},
        {"id": "f_to_review_gw", "source": "township_review", "target": "gw_review"},
        {"id": "f_review_eligible", "name": "符合，报县审批", "source": "gw_review", "target": "county_approval",
         "condition": "old_age_review_opinion == 'eligible'"},
        {"id": "f_review_ineligible", "name": "不符合", "source": "gw_review", "target": "inform_ineligible",
         "default": True},
        {"id": "f_informed", "source": "inform_ineligible", "target": "end_ineligible"},
        {"id": "f_to_decision_gw", "source": "county_approval", "target": "gw_decision"},
        {"id": "f_approved", "name": "批准", "source": "gw_decision", "target": "compute_payment",
         "condition": "old_age_decision == 'approved'"},
        {"id": "f_payment", "source": "compute_payment", "target": "end_approved"},
        {"id": "f_rejected", "name": "不予批准", "source": "gw_decision", "target": "end_refused", "default": True},
    ],
}
