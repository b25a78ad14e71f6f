"""Change of benefits outside the review (增发、减发、停发、终止): township verifies, county decides.

The shape is shared with the other dynamic-management routes: see _dynamic_management.py.
"""
import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("_dynamic_management.py")))

ROUTE = _shared["build"](
    process_id="benefit_change_national",
    name="动态管理：增发、减发、停发、终止（乡镇核实、县级决定）",
    documentation="民发〔2021〕57号第三十条、第三十二条：乡镇人民政府（街道办事处）核实变化情况并提出意见，"
                  "县级民政部门决定增发、减发、停发，减发、停发书面说明理由，经乡镇送达；"
                  "家庭成员死亡后3个月内复核（2022年通知）；特困人员终止前由县级民政部门公示7天。",
    family="change",
    decider="county",
)
