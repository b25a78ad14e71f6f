"""Change of benefits outside the review (增发、减发、停发、终止) where the township/street decides.

Used by the Xiangshui, Siping and Santidikou models (Santidikou: the review panel reviews first).
The shape is shared with the other dynamic-management routes: see _dynamic_management.py.
"""
import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("_dynamic_management.py")))

ROUTE = _shared["build"](
    process_id="benefit_change_delegated",
    name="动态管理：增发、减发、停发、终止（乡镇（街道）决定）",
    documentation="民发〔2021〕57号第三十条、第三十二条：家庭人口、收入、财产变化及时报告，"
                  "乡镇（街道）核实后决定增发、减发、停发，减发、停发书面说明理由；"
                  "家庭成员死亡后3个月内复核（2022年通知）；特困人员终止前公示7天。",
    family="change",
    decider="township",
)
