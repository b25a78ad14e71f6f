"""Periodic review (定期复核) where 审核确认 is delegated: the township/street checks and decides.

Used by the Xiangshui (响水), Siping (四平铁西) and Santidikou (三堤口) models; under Santidikou the
street's review panel (评审小组) reviews every proposed change first. The shape is shared with the
other dynamic-management routes: see _dynamic_management.py.
"""
import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("_dynamic_management.py")))

ROUTE = _shared["build"](
    process_id="periodic_review_delegated",
    name="动态管理：定期复核（乡镇（街道）核查并决定）",
    documentation="民发〔2021〕57号第三十一至三十四条；2020年《关于改革完善社会救助制度的意见》第7条；"
                  "《特困人员认定办法》第二十四至二十七条。审核确认权下放（响水、四平铁西、三堤口）："
                  "乡镇（街道）入户核查、评估分类、决定增发减发停发；三堤口模式由评审小组先行评审；"
                  "按A/B/C类确定下次复核时间，特困、尊老金每年复核。",
    family="review",
    decider="township",
)
