"""reviewers/engine/assignment.py: hard rules on hand-made cases, then properties on random instances."""
from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewers.engine.assignment import (EntryInfo, JurorInfo, assign_jurors, check_assignment, greedy_assign,
                                         load_spread)
from reviewers.engine.jury import ineligibility_reason

INN = "inn:7707083893"
P = "round:1/nomination:1"


def entry(id, keys=(), region=None, pool=P):
    return EntryInfo(id, pool, frozenset(keys), region)


def juror(id, cap=10, keys=(), regions=(), pools=(P,), severity=None):
    return JurorInfo(id, frozenset(pools), cap, frozenset(keys), frozenset(regions), severity)


def jurors_of(plan, entry_id):
    return sorted(j for e, j in plan.pairs if e == entry_id)


# --- hard rules, one at a time -------------------------------------------------------------------------------------

def test_a_juror_of_the_same_organisation_by_inn_is_never_assigned():
    plan = assign_jurors([entry(1, {INN, "org:12"})], [juror(10, keys={INN}), juror(11), juror(12), juror(13)], k=3)
    assert plan.problems == []
    assert plan.new == [(1, 11), (1, 12), (1, 13)]


def test_a_juror_with_a_declared_affiliation_is_never_assigned():
    plan = assign_jurors([entry(1, {INN, "org:12"})], [juror(10), juror(11, keys={"org:12"}), juror(12), juror(13)], k=3)
    assert plan.new == [(1, 10), (1, 12), (1, 13)]


def test_a_recused_pair_is_never_assigned():
    plan = assign_jurors([entry(1)], [juror(10), juror(11), juror(12), juror(13)], k=3, excluded=[(1, 11)])
    assert plan.new == [(1, 10), (1, 12), (1, 13)]


def test_only_jurors_of_the_entry_pool_are_assigned():
    other = "round:1/nomination:2"
    plan = assign_jurors([entry(1), entry(2, pool=other)],
                         [juror(10), juror(11), juror(20, pools=(other,)), juror(21, pools=(other,))], k=2)
    assert plan.new == [(1, 10), (1, 11), (2, 20), (2, 21)]


def test_caps_are_respected_and_count_jurors_across_pools():
    other = "round:1/nomination:2"
    jurors = [juror(10, cap=2, pools=(P, other)), juror(11, cap=2), juror(12, cap=2, pools=(other,))]
    entries = [entry(1), entry(2, pool=other), entry(3, pool=other)]
    plan = assign_jurors(entries, jurors, k=1)
    assert plan.problems == []
    assert check_assignment(entries, jurors, plan.pairs, k=1) == []
    assert all(plan.loads[j.id] <= j.cap for j in jurors)
    assert sum(plan.loads.values()) == 3


def test_existing_pairs_are_kept_and_count_toward_k_and_caps():
    jurors = [juror(10, cap=1), juror(11), juror(12), juror(13)]
    plan = assign_jurors([entry(1), entry(2)], jurors, k=2, existing=[(1, 10), (1, 10)])
    assert plan.kept == [(1, 10)]
    assert len(jurors_of(plan, 1)) == 2 and len(jurors_of(plan, 2)) == 2
    assert 10 not in jurors_of(plan, 2)  # its cap of 1 is taken by the kept pair
    assert plan.loads[10] == 1
    assert check_assignment([entry(1), entry(2)], jurors, plan.pairs, k=2) == []


def test_a_rerun_after_a_recusal_fills_only_the_gap():
    entries = [entry(i) for i in range(1, 7)]
    jurors = [juror(j, cap=4) for j in range(10, 15)]
    first = assign_jurors(entries, jurors, k=3)
    assert first.problems == []
    recused = first.pairs[4]
    second = assign_jurors(entries, jurors, k=3, existing=first.pairs, excluded=[recused])
    assert second.problems == []
    assert second.dropped == [recused]
    assert second.kept == [p for p in first.pairs if p != recused]
    assert len(second.new) == 1 and second.new[0][0] == recused[0] and second.new[0][1] != recused[1]
    assert check_assignment(entries, jurors, second.pairs, k=3, excluded=[recused]) == []
    assert (f"Снято назначение: заявка № {recused[0]}, эксперт № {recused[1]} — самоотвод."
            in second.explanation)


def test_a_late_juror_takes_the_open_slots():
    entries = [entry(1), entry(2)]
    first = assign_jurors(entries, [juror(10), juror(11)], k=3)
    assert [p.code for p in first.problems] == ["too_few_eligible", "too_few_eligible"]
    second = assign_jurors(entries, [juror(10), juror(11), juror(12), juror(13)], k=3, existing=[(1, 10), (2, 10)])
    assert second.problems == []
    assert second.kept == [(1, 10), (2, 10)]
    assert sorted(second.loads.values()) == [1, 1, 2, 2]  # 10 already has two, so the rest share evenly


def test_a_kept_pair_now_in_conflict_is_dropped():
    jurors = [juror(10, keys={INN}), juror(11), juror(12)]
    plan = assign_jurors([entry(1, {INN})], jurors, k=2, existing=[(1, 10), (1, 11)])
    assert plan.dropped == [(1, 10)]
    assert plan.kept == [(1, 11)]
    assert plan.new == [(1, 12)]
    assert "Снято назначение: заявка № 1, эксперт № 10 — та же организация (ИНН 7707083893)." in plan.explanation


# --- infeasible data: problems, exact messages, nothing half-way ---------------------------------------------------

def test_too_few_eligible_names_every_juror_left_out_and_assigns_nothing():
    entries = [entry(12, {INN}), entry(13)]
    jurors = [juror(4), juror(5, keys={INN}), juror(7), juror(9)]
    plan = assign_jurors(entries, jurors, k=3, excluded=[(12, 7)])
    assert [(p.entry_id, p.code, p.message) for p in plan.problems] == [
        (12, "too_few_eligible", "Для заявки № 12 нашлось только 2 эксперта из 3: эксперт № 5 — та же организация "
                                 "(ИНН 7707083893), эксперт № 7 — самоотвод"),
    ]
    assert plan.new == []
    assert "Ничего не назначено: 1 препятствие (см. список)." in plan.explanation


def test_messages_use_names_when_given_and_say_when_a_cap_is_reached():
    jurors = [juror(4, cap=1), juror(5, keys={"org:3"})]
    plan = assign_jurors([entry(1, {"org:3"}), entry(2)], jurors, k=2, existing=[(2, 4)],
                         names={4: "Иванов И. И.", 5: "Петрова А. С."})
    assert [p.message for p in plan.problems] == [
        "Для заявки № 1 не нашлось ни одного эксперта из 2: Иванов И. И. — нет свободных мест (лимит 1), "
        "Петрова А. С. — заявлена связь с организацией заявителя (№ 3)",
    ]
    assert plan.kept == [(2, 4)] and plan.new == []


def test_one_eligible_juror_reads_in_the_singular():
    plan = assign_jurors([entry(1)], [juror(4)], k=2)
    assert plan.problems[0].message == "Для заявки № 1 нашёлся только 1 эксперт из 2: других экспертов в пуле нет"


def test_an_entry_of_a_pool_without_jurors():
    plan = assign_jurors([entry(1, pool="round:2/nomination:9")], [juror(4)], k=1)
    assert plan.problems[0].message == ("Для заявки № 1 не нашлось ни одного эксперта из 1: в пуле "
                                        "«round:2/nomination:9» нет экспертов")


def test_a_pool_short_of_capacity():
    plan = assign_jurors([entry(1), entry(2)], [juror(4, cap=1), juror(5, cap=1), juror(6, cap=1)], k=2)
    assert [(p.code, p.message) for p in plan.problems] == [
        ("capacity", "В пуле «round:1/nomination:1» нужно ещё 4 назначения, а лимиты экспертов позволяют только 3"),
    ]
    assert plan.new == []


def test_a_hidden_shortage_is_explained_by_the_minimum_cut():
    # Enough places in the pool and enough jurors per entry, but entries 1 and 2 can only go to juror 12 (cap 1).
    entries = [entry(1, {"org:1"}), entry(2, {"org:1"}), entry(3), entry(4)]
    jurors = [juror(10, cap=2, keys={"org:1"}), juror(11, cap=2, keys={"org:1"}), juror(12, cap=1)]
    plan = assign_jurors(entries, jurors, k=1)
    assert [(p.code, p.message) for p in plan.problems] == [
        ("capacity", "Заявкам № 1, № 2 нужно ещё 2 назначения, а подходящие для них эксперты (эксперт № 12) могут "
                     "взять только 1: их лимиты исчерпаны, а в одну заявку эксперт назначается не больше одного раза"),
    ]
    assert plan.new == []


def test_kept_pairs_over_k_or_over_a_cap_are_problems():
    jurors = [juror(4, cap=1), juror(5), juror(6)]
    plan = assign_jurors([entry(1), entry(2)], jurors, k=2, existing=[(1, 4), (1, 5), (1, 6), (2, 4)])
    assert [(p.entry_id, p.juror_id, p.code, p.message) for p in plan.problems] == [
        (1, None, "too_many", "У заявки № 1 уже 3 эксперта при норме 2: лишние назначения нужно снять вручную"),
        (None, 4, "over_cap", "Эксперт № 4: уже 2 назначения при лимите 1"),
    ]
    assert plan.new == []


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="duplicate entry id 1"):
        assign_jurors([entry(1), entry(1)], [juror(4)], k=1)
    with pytest.raises(ValueError, match="k must be at least 1"):
        assign_jurors([entry(1)], [juror(4)], k=0)


# --- soft rules: region, severity mix, balance ---------------------------------------------------------------------

def test_the_same_region_is_avoided_when_possible():
    jurors = [juror(10, regions={"77"}), juror(11, regions={"50"}), juror(12), juror(13)]
    plan = assign_jurors([entry(1, region="77")], jurors, k=3)
    assert plan.new == [(1, 11), (1, 12), (1, 13)]
    assert plan.same_region == 0


def test_the_same_region_is_used_when_unavoidable_and_said_so():
    plan = assign_jurors([entry(1, region="77")], [juror(10, regions={"77"}), juror(11), juror(12)], k=3)
    assert plan.problems == []
    assert plan.same_region == 1
    assert ("Эксперт из региона заявки: 1 назначение: меньше нельзя без нарушения правил или перекоса нагрузки."
            in plan.explanation)


def test_region_is_ignored_when_asked():
    jurors = [juror(10, regions={"77"}), juror(11), juror(12), juror(13)]
    plan = assign_jurors([entry(1, region="77")], jurors, k=3, avoid_same_region=False)
    assert plan.new == [(1, 10), (1, 11), (1, 12)]


def test_balance_comes_before_region():
    # Avoiding region 77 would put four entries on juror 11 and none on juror 10.
    entries = [entry(i, region="77") for i in range(1, 5)]
    plan = assign_jurors(entries, [juror(10, regions={"77"}), juror(11)], k=1)
    assert plan.loads == {10: 2, 11: 2}
    assert plan.same_region == 2


def test_harsh_and_lenient_jurors_are_mixed_on_each_entry():
    harsh = [juror(j, cap=1, severity=-5.0) for j in (10, 11, 12)]
    lenient = [juror(j, cap=1, severity=5.0) for j in (13, 14, 15)]
    plan = assign_jurors([entry(1), entry(2), entry(3)], harsh + lenient, k=2)
    for entry_id in (1, 2, 3):
        assert [j < 13 for j in jurors_of(plan, entry_id)] == [True, False]


def test_loads_are_even_and_the_explanation_says_so():
    entries = [entry(i, {INN} if i % 3 == 0 else ()) for i in range(1, 11)]
    jurors = [juror(10, keys={INN}), juror(11), juror(12), juror(13)]
    plan = assign_jurors(entries, jurors, k=2)
    assert plan.loads == {10: 5, 11: 5, 12: 5, 13: 5}
    assert plan.explanation == ["Сохранено назначений: 0, новых: 20, снято: 0.",
                                "Пул «round:1/nomination:1»: нагрузка экспертов от 5 до 5."]
    assert load_spread(plan, jurors) == {P: 0}


# --- the checker and the baseline ----------------------------------------------------------------------------------

def test_check_assignment_reports_every_broken_rule():
    other = "round:1/nomination:2"
    entries = [entry(1, {INN}), entry(2)]
    jurors = [juror(10, cap=1, keys={INN}), juror(11, pools=(other,)), juror(12)]
    pairs = [(1, 10), (1, 12), (1, 12), (2, 11), (2, 10), (3, 12), (2, 99)]
    assert check_assignment(entries, jurors, pairs, k=2, excluded=[(1, 12)]) == [
        "Заявка № 1, эксперт № 10: та же организация (ИНН 7707083893)",
        "Заявка № 1, эксперт № 12: пара повторяется 2 раза",
        "Заявка № 1, эксперт № 12: самоотвод",
        "Заявка № 2, эксперт № 11: эксперт не входит в пул «round:1/nomination:1»",
        "Заявка № 2, эксперт № 99: такого эксперта нет",
        "Заявка № 3, эксперт № 12: такой заявки нет",
        "Заявка № 1: экспертов 3 вместо 2",
        "Эксперт № 10: назначений 2 при лимите 1",
    ]


def test_check_assignment_accepts_a_good_assignment():
    assert check_assignment([entry(1)], [juror(10), juror(11)], [(1, 10), (1, 11)], k=2) == []


def test_greedy_leaves_a_slot_the_flow_fills():
    entries = [entry(1), entry(2, {"org:5"})]
    jurors = [juror(10, cap=1), juror(11, cap=1, keys={"org:5"})]
    greedy = greedy_assign(entries, jurors, k=1)
    assert greedy.new == [(1, 10)]
    assert [(p.entry_id, p.code, p.message) for p in greedy.problems] == [
        (2, "unfilled", "Заявке № 2 не хватило 1 эксперта")]
    plan = assign_jurors(entries, jurors, k=1)
    assert plan.new == [(1, 11), (2, 10)]


def test_ineligibility_reason_orders_hard_rules_first():
    e = entry(1, {INN})
    assert ineligibility_reason(e, juror(4, pools=("x",))) == "не входит в пул номинации"
    assert ineligibility_reason(e, juror(4, keys={INN}), recused=True) == "та же организация (ИНН 7707083893)"
    assert ineligibility_reason(e, juror(4), recused=True) == "самоотвод"
    assert ineligibility_reason(e, juror(4, cap=2), load=2) == "нет свободных мест (лимит 2)"
    assert ineligibility_reason(e, juror(4, cap=2), load=1) is None


# --- properties ----------------------------------------------------------------------------------------------------

POOLS = ("a", "b", "c")
KEYS = ("inn:1", "inn:2", "inn:3", "org:1", "org:2")
REGIONS = ("01", "02", "03")


@st.composite
def instances(draw, *, conflicts: bool = True):
    """Random small rounds: entries, jurors (1–2 pools), k, recusals and existing pairs (some breaking rules)."""
    n_pools = draw(st.integers(1, 3))
    pools = POOLS[:n_pools]
    keys = st.frozensets(st.sampled_from(KEYS), max_size=2) if conflicts else st.just(frozenset())
    entries = [EntryInfo(i, draw(st.sampled_from(pools)), draw(keys), draw(st.sampled_from(REGIONS + (None,))))
               for i in range(1, draw(st.integers(1, 25)) + 1)]
    jurors = [JurorInfo(100 + j, draw(st.frozensets(st.sampled_from(pools), min_size=1, max_size=2)),
                        draw(st.integers(0, 12)), draw(keys), draw(st.frozensets(st.sampled_from(REGIONS), max_size=1)),
                        draw(st.none() | st.floats(-5, 5)))
              for j in range(draw(st.integers(1, 10)))]
    ids = [(e.id, j.id) for e in entries for j in jurors]
    excluded = draw(st.lists(st.sampled_from(ids), max_size=5)) if conflicts else []
    existing = draw(st.lists(st.sampled_from(ids), max_size=6))
    return entries, jurors, draw(st.integers(1, 3)), excluded, existing


PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(instances())
def test_hard_rules_always_hold_or_nothing_is_assigned(case):
    entries, jurors, k, excluded, existing = case
    plan = assign_jurors(entries, jurors, k=k, excluded=excluded, existing=existing)
    if plan.problems:
        assert plan.new == []
    else:
        assert check_assignment(entries, jurors, plan.pairs, k=k, excluded=excluded) == []
    by_entry = {e.id: e for e in entries}
    by_juror = {j.id: j for j in jurors}
    for e, j in plan.kept:  # what is kept never breaks a rule either
        assert (e, j) not in set(excluded)
        assert by_entry[e].pool in by_juror[j].pools
        assert not by_entry[e].organisation_keys & by_juror[j].affiliation_keys
    assert sorted(set(plan.kept) | set(plan.dropped)) == sorted(set(existing))
    assert plan.loads == {j.id: sum(1 for _, other in plan.pairs if other == j.id) for j in jurors}


@st.composite
def planted(draw):
    """A round built around a valid assignment (single-pool jurors), with conflicts and recusals only elsewhere."""
    rng = random.Random(draw(st.integers(0, 10 ** 6)))
    k = draw(st.integers(1, 3))
    entries, jurors, pairs = [], [], []
    for p, pool in enumerate(POOLS[:draw(st.integers(1, 2))]):
        pool_jurors = [200 + 20 * p + j for j in range(draw(st.integers(k, 7)))]
        pool_entries = [100 * (p + 1) + i for i in range(draw(st.integers(1, 15)))]
        for e in pool_entries:
            pairs += [(e, j) for j in rng.sample(pool_jurors, k)]
        load = Counter(j for _, j in pairs)
        taken = defaultdict(set)
        for e, j in pairs:
            taken[j].add(e)
        for e in pool_entries:
            keys = frozenset({f"org:{e}"}) if rng.random() < 0.5 else frozenset()
            entries.append(EntryInfo(e, pool, keys, rng.choice(REGIONS)))
        for j in pool_jurors:
            free = [e for e in pool_entries if e not in taken[j]]
            keys = frozenset(f"org:{e}" for e in rng.sample(free, min(len(free), rng.randint(0, 2))))
            jurors.append(JurorInfo(j, frozenset({pool}), load[j] + rng.randint(0, 1), keys,
                                    frozenset({rng.choice(REGIONS)})))
    in_plan = set(pairs)
    free_pairs = [(e.id, j.id) for e in entries for j in jurors if (e.id, j.id) not in in_plan]
    excluded = rng.sample(free_pairs, min(len(free_pairs), rng.randint(0, 3)))
    return entries, jurors, k, excluded, pairs


@PROPERTY
@given(planted())
def test_a_round_with_a_solution_is_always_solved_at_least_as_evenly(case):
    entries, jurors, k, excluded, solution = case
    plan = assign_jurors(entries, jurors, k=k, excluded=excluded)
    assert plan.problems == []
    assert check_assignment(entries, jurors, plan.pairs, k=k, excluded=excluded) == []
    loads = Counter(j for _, j in solution)
    for pool, spread in load_spread(plan, jurors).items():
        members = [loads[j.id] for j in jurors if pool in j.pools]
        assert spread <= max(members) - min(members)


@PROPERTY
@given(st.integers(1, 3), st.lists(st.integers(1, 30), min_size=1, max_size=3), st.integers(0, 10 ** 6))
def test_loads_differ_by_at_most_one_when_everyone_is_eligible(k, sizes, seed):
    rng = random.Random(seed)
    entries, jurors = [], []
    for p, size in enumerate(sizes):
        n_jurors = rng.randint(k, 8)
        cap = -(-k * size // n_jurors) + rng.randint(0, 2)
        entries += [EntryInfo(100 * p + i, f"p{p}", frozenset(), rng.choice(REGIONS)) for i in range(size)]
        jurors += [JurorInfo(1000 + 10 * p + j, frozenset({f"p{p}"}), cap, frozenset(), frozenset({rng.choice(REGIONS)}))
                   for j in range(n_jurors)]
    plan = assign_jurors(entries, jurors, k=k)
    assert plan.problems == []
    assert all(spread <= 1 for spread in load_spread(plan, jurors).values())


@PROPERTY
@given(instances(), st.randoms(use_true_random=False))
def test_same_input_same_output_whatever_the_order(case, rnd):
    entries, jurors, k, excluded, existing = case
    first = assign_jurors(entries, jurors, k=k, excluded=excluded, existing=existing)
    shuffled = [list(x) for x in (entries, jurors, excluded, existing)]
    for items in shuffled:
        rnd.shuffle(items)
    second = assign_jurors(shuffled[0], shuffled[1], k=k, excluded=shuffled[2], existing=shuffled[3])
    assert second == first


@PROPERTY
@given(instances())
def test_greedy_breaks_no_rule_but_the_gaps_it_reports(case):
    entries, jurors, k, excluded, _ = case
    plan = greedy_assign(entries, jurors, k=k, excluded=excluded)
    short = {p.entry_id: p.message for p in plan.problems}
    counts = Counter(e for e, _ in plan.pairs)
    assert check_assignment(entries, jurors, plan.pairs, k=k, excluded=excluded) == [
        f"Заявка № {e}: экспертов {counts[e]} вместо {k}" for e in sorted(short)]


def test_a_long_list_of_reasons_is_cut_after_twenty_jurors():
    jurors = [juror(j, keys={INN}) for j in range(100, 125)] + [juror(200)]
    plan = assign_jurors([entry(1, {INN})], jurors, k=2)
    message = plan.problems[0].message
    assert message.startswith("Для заявки № 1 нашёлся только 1 эксперт из 2: эксперт № 100 — та же организация")
    assert message.count("эксперт № 1") == 20
    assert message.endswith("эксперт № 119 — та же организация (ИНН 7707083893) и ещё 5 экспертов")
