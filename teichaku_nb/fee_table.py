"""The numbers of the 2024 (令和6年度) fee table of 就労定着支援, in one place.

The units of the basic fee by 就労定着率, the rates of the 減算 in the order they are applied,
and the units of the 加算 (告示 第14の2 and its 注, as quoted in docs/fee-check.md).  The rules
that decide *when* each applies are in ``fees`` (a person's month) and ``billing`` (the
office's month); the settings that switch the office-level ones on are in ``schema``.
"""

from __future__ import annotations

from dataclasses import dataclass

# (lowest rate in percent, label, units a month): the basic fee by 就労定着率.
FEE_TIERS: tuple[tuple[int, str, int], ...] = (
    (95, "95%以上", 3512),
    (90, "90%以上95%未満", 3348),
    (80, "80%以上90%未満", 2768),
    (70, "70%以上80%未満", 2234),
    (50, "50%以上70%未満", 1690),
    (30, "30%以上50%未満", 1433),
    (0, "30%未満", 1074),
)
TIER_LABELS = tuple(label for _, label, _ in FEE_TIERS)
TIER_UNITS = {label: units for _, label, units in FEE_TIERS}

# --- 減算 (reductions): each multiplies the units so far, rounded (四捨五入) at every step -----------


@dataclass(frozen=True)
class ReductionKind:
    code: str                   # stable: JSON, tests
    label: str                  # Japanese, as the 告示 names it
    factors: tuple[float, ...]  # the multiplier by month of the reduction (1st, 2nd, …; the last repeats)
    office: bool                # applies to everyone billed in its months (a 設定), not to one person


STAFF_SHORTAGE = ReductionKind("staff_shortage", "人員欠如減算（就労定着支援員）", (0.7, 0.7, 0.5), True)
MANAGER_MISSING = ReductionKind("manager_missing", "サービス管理責任者欠如減算", (0.7, 0.7, 0.7, 0.7, 0.5), True)
PLAN_MISSING = ReductionKind("plan_missing", "個別支援計画未作成減算", (0.7, 0.7, 0.5), False)
ABUSE_PREVENTION = ReductionKind("abuse_prevention_missing", "虐待防止措置未実施減算", (0.99,), True)
CONTINUITY_PLAN = ReductionKind("continuity_plan_missing", "業務継続計画未策定減算", (0.99,), True)
INFORMATION = ReductionKind("information_unpublished", "情報公表未報告減算", (0.95,), True)
HANDOVER = ReductionKind("handover_missing", "支援体制構築未実施減算", (0.9,), True)

# The order they are applied in: that of the 算定構造 (staffing, then the plan, then the office's
# duties).  Each step rounds, so the order can move a unit; see docs/fee-check.md.
REDUCTIONS: tuple[ReductionKind, ...] = (STAFF_SHORTAGE, MANAGER_MISSING, PLAN_MISSING, ABUSE_PREVENTION,
                                         CONTINUITY_PLAN, INFORMATION, HANDOVER)
REDUCTIONS_BY_CODE = {kind.code: kind for kind in REDUCTIONS}


def factor(kind: ReductionKind, month_number: int) -> float:
    """The multiplier in the ``month_number``-th month (1..) of a reduction."""
    return kind.factors[min(month_number, len(kind.factors)) - 1]


# --- 加算 (additions): units added unreduced; 処遇改善加算 last, as a rate of the total ------------

REGIONAL_I, REGIONAL_II = 579, 405     # 地域連携会議実施加算 (I: the サービス管理責任者 presents)
REGIONAL_PER_YEAR = 4                  # and at most one a month
TRACK_RECORD_UNITS = 300               # 就労定着実績体制加算, a month for everyone billed
JOB_COACH_UNITS = 120                  # 職場適応援助者養成研修修了者配置体制加算, a month for everyone billed
SPECIAL_AREA_UNITS = 240               # 特別地域加算, a month
INITIAL_UNITS = 900                    # 初期加算, once per person
CAP_MANAGEMENT_UNITS = 150             # 利用者負担上限額管理加算, a month
TREATMENT_CLASSES = ("I", "II", "III", "IV")   # 福祉・介護職員等処遇改善加算: the rate is a setting
