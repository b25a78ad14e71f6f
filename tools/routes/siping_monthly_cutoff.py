"""Siping (四平铁西, seed 002) monthly cut-offs: each street completes the month's approvals by the
26th and checks and reports the data to the district by the 30th. Started by the scheduler on the
first of every month for every street under the Siping model."""

ROUTE = {
    "id": "siping_monthly_cutoff",
    "name": "月度审批截止与数据上报（四平模式）",
    "documentation": "四平市铁西区：每月26日前完成审批，30日前核对数据并上报区民政局。",
    "lanes": [("township", "乡镇（街道）"), ("district_center", "区社会救助中心")],
    "nodes": [
        {"id": "start", "type": "start", "name": "月初开启", "lane": "township", "col": 0, "form": "monthly_cutoff_start"},
        {"id": "approvals_cutoff", "type": "user", "name": "本月审批办结（26日前）", "lane": "township", "col": 1,
         "form": "monthly_cutoff_approvals", "props": {"deadline": "dom26"}},
        {"id": "data_report", "type": "user", "name": "本月数据核对并上报（30日前）", "lane": "township", "col": 2,
         "form": "monthly_cutoff_report", "props": {"deadline": "dom30"}},
        {"id": "district_receipt", "type": "user", "name": "区社会救助中心接收汇总", "lane": "district_center", "col": 3,
         "form": "monthly_cutoff_receipt", "props": {"deadline": "3wd"}},
        {"id": "end", "type": "end", "name": "本月完成", "lane": "district_center", "col": 4},
    ],
    "flows": [
        {"id": "f_start", "source": "start", "target": "approvals_cutoff"},
        {"id": "f_approved", "source": "approvals_cutoff", "target": "data_report"},
        {"id": "f_reported", "source": "data_report", "target": "district_receipt"},
        {"id": "f_received", "source": "district_receipt", "target": "end"},
    ],
}
