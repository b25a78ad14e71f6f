"""Periodic review (定期复核) under the national default: the township checks, the county decides.

The shape is shared with the other dynamic-management routes: see _dynamic_management.py.
"""
import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("_dynamic_management.py")))

ROUTE = _shared["build"](
    process_id="periodic_review_national",
    name="动态管理：定期复核（乡镇核查、县级决定）",
    documentation="民发〔2021〕57号第三十一至三十四条：乡镇人民政府（街道办事处）定期核查，"
                  "县级民政部门作出增发、减发、停发决定，减发、停发书面说明理由；无明显变化的维持原待遇；"
                  "《特困人员认定办法》第二十四至二十七条：终止前公示7天。",
    family="review",
    decider="county",
)
