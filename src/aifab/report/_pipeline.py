"""``aifab report`` as a library call: plan, grid siting and the national twin of one
scenario in one self-contained HTML page (a notebook does what the CLI does)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plotly.offline import get_plotlyjs
from rich.console import Console
from rich.table import Table

from aifab._io import to_json, versioned, write_text
from aifab._plan_result import plan_file
from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.report._bundle import plotly_file_name, shared_page
from aifab.report._html import Items, Section, render_html
from aifab.report._plan import plan_sections
from aifab.report._report_doc import REPORT_DOC, TWIN_DOC, ReportDoc
from aifab.scenario import Scenario

if TYPE_CHECKING:
    from aifab._plan import PlanResult
    from aifab.grid import SiteResult, SitingResult
    from aifab.sim.national import PowerCaps, SimResult, SiteConstraints



def report_doc_file(folder: Path) -> Path:
    """The headline document of a combined report folder (``aifab report --out``)."""
    return folder / REPORT_DOC


def report_parts(folder: Path) -> dict[str, Path]:
    """Each stage's document in a combined report folder, by stage (``site``: the site
    stage's site.json, read by :func:`aifab.grid.read_site`; ``simulate``: the twin's
    ``--json`` document). Only :meth:`ReportResult.files` and this know the names."""
    from aifab.grid import site_file

    return {"site": site_file(folder), "simulate": folder / TWIN_DOC}


@dataclass(frozen=True, eq=False)
class ReportResult:
    """Every stage's result, the headline document (:meth:`to_dict`) and the page."""

    scenario: Scenario
    plan: PlanResult
    siting: SitingResult | None
    caps: PowerCaps | None
    sim: SimResult | None
    html: str = field(repr=False)
    constraints: SiteConstraints | None = None
    other_pages: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """(language, page) of the pages written beside ``html`` (``report-<lang>.html``)."""

    def page(self) -> str:
        """The self-contained page of the stages' results, in the language of the block
        it is called in (:func:`aifab.report.report_language`)."""
        from aifab.report._grid import site_sections
        from aifab.report._sim import sim_sections

        owners = [o.name for o in self.scenario.owners]
        sections: list[Section] = list(plan_sections(self.plan))
        if self.siting is not None:
            from aifab.grid import SiteResult

            sections += site_sections(SiteResult.from_siting(self.scenario.name, self.siting),
                                      self.siting.geo, owners)
        summary: Items = ()
        if self.sim is not None:
            sections += sim_sections(self.sim, owners)
            sections, summary = scale_labels(sections, self.sim.summary.scale)
        return render_html(f"aifab report: {self.scenario.name}", sections,
                           self.scenario.description, summary=summary)

    @staticmethod
    def page_file(lang: str) -> str:
        """The name of the page in ``lang`` written beside report.html."""
        return f"report-{lang}.html"

    def older_pages(self) -> list[str]:
        """Names of the other-language pages this result does not write: one left in the
        folder is an older run's."""
        from aifab.report._labels import REPORT_LANGS

        held = {lang for lang, _ in self.other_pages}
        return [self.page_file(x) for x in REPORT_LANGS if x not in held]

    def with_pages(self, langs: Sequence[str]) -> ReportResult:
        """This result with its page also in each of ``langs`` (written beside report.html
        as ``report-<lang>.html``): the stages are not run again."""
        from aifab.report._labels import report_language

        pages = []
        for lang in langs:
            with report_language(lang):
                pages.append((lang, self.page()))
        return replace(self, other_pages=(*self.other_pages, *pages))

    def plan_doc(self) -> dict[str, Any]:
        return {"scenario": self.plan.scenario, **self.plan.to_dict()}

    def site_result(self) -> SiteResult | None:
        """The combined report's site stage: the site stage's one schema
        (:class:`aifab.grid.SiteResult`) with what the twin ran under."""
        if self.siting is None:
            return None
        from aifab.grid import SiteResult, TwinPowerCaps

        windows = self.constraints.windows if self.constraints is not None else ()
        return replace(SiteResult.from_siting(self.scenario.name, self.siting),
                       twin_power_caps=TwinPowerCaps(self.caps.year, dict(self.caps.mw))
                       if self.caps is not None else None,
                       twin_curtailment_windows=len(windows) if windows else None)

    def site_doc(self) -> dict[str, Any] | None:
        """The combined report's site.json (:meth:`site_result`'s document)."""
        res = self.site_result()
        return None if res is None else res.to_dict()

    def headline(self) -> ReportDoc:
        """The headline (report.json), typed: the key figures of every stage that ran."""
        return ReportDoc.of(self.plan, self.site_result(), self.caps, self.sim)

    def to_dict(self) -> dict[str, Any]:
        """The headline document (:meth:`headline`'s)."""
        return self.headline().to_dict()

    def files(self) -> dict[str, str]:
        """File name -> text of everything ``--out`` holds: ``report.html`` loads
        ``plotly-<version>.min.js`` beside it (``self.html`` is the self-contained page)."""
        files = {plan_file(Path()).name: to_json(versioned(self.plan_doc()))}
        parts = {k: p.name for k, p in report_parts(Path()).items()}
        site = self.site_result()
        if site is not None:
            files[parts["site"]] = to_json(versioned(site.to_dict()))
        if self.sim is not None:
            files[parts["simulate"]] = to_json(versioned(self.sim.to_dict()))
        files[REPORT_DOC] = to_json(versioned(ReportDoc.of(self.plan, site, self.caps,
                                                           self.sim).to_dict()))
        files["report.html"] = shared_page(self.html)  # loads the folder's plotly.js
        for lang, page in self.other_pages:
            files[self.page_file(lang)] = shared_page(page)
        files[plotly_file_name()] = get_plotlyjs()
        return files

    def write(self, directory: Path) -> None:
        for name, text in self.files().items():
            write_text(directory / name, text)


def build_report(scn: Scenario, catalog: Catalog | None = None, *, site: bool = True,
                 simulate: bool = True, site_caps: bool = False,
                 say: Callable[[str], None] = lambda msg: None) -> ReportResult:
    """Run the stages (``say`` hears which one starts) and render the page.

    ``site_caps``: run the twin under the siting's constraints (each owner's power capped
    at what siting powers in its last year, and that year's hourly curtailment; needs
    ``site``), as ``aifab simulate --power-caps`` does with the same siting.
    """
    from aifab._plan import plan
    from aifab.catalog import default_catalog

    if site_caps and not site:
        raise BadInput("--site-caps needs the siting stage (drop --no-site)", where="--site-caps")
    cat = catalog or default_catalog()
    say("plan")
    plan_res = plan(scn, cat)
    sres = constraints = None
    if site:
        from aifab.grid import site as run_site

        say("site (grid model, about 30 s for the national default)")
        sres = run_site(scn, catalog=cat)
        if site_caps:
            from aifab.sim.national import site_constraints

            constraints = site_constraints(sres, [o.name for o in scn.owners])
    sim_res = None
    if simulate:
        from aifab.sim.national import TwinRequest, run_twin

        say(f"simulate ({scn.sim.days:g} days)")
        sim_res = run_twin(TwinRequest(scn, catalog=cat, constraints=constraints))
    if constraints is not None:
        scn = constraints.apply(scn)
    res = ReportResult(scenario=scn, plan=plan_res, siting=sres,
                       caps=constraints.caps if constraints is not None else None,
                       sim=sim_res, html="", constraints=constraints)
    return replace(res, html=res.page())


#: Twin figures that grow with the sample's size (shares and ratios do not).
_SAMPLED = ("GPUs", "NPUs", "mean facility power (MW)", "tokens served")


def scale_labels(sections: list[Section], scale: float) -> tuple[list[Section], Items]:
    """The summary strip of a report with the twin: each absolute figure says whether it is
    national (the plan) or the twin's sample (``scale`` of the fleet), the twin's mean
    facility power beside the national facility power. Returns the sections without their
    own summaries, and the strip."""
    from dataclasses import replace

    from aifab.report._ko import tr
    from aifab.report._labels import REPORT_LANG
    from aifab.report._style import fmt_share

    ko = REPORT_LANG.get() == "ko"
    pct = fmt_share(scale, 0)

    def nat(k: str) -> str:
        return f"{tr(k, 'ko')}, 전국" if ko else f"{k}, national"

    def twin(k: str) -> str:
        return (f"{tr(k, 'ko')}, 트윈 표본 (보유분의 {pct})" if ko
                else f"{k}, twin sample ({pct} of the fleet)")

    plan_items: list[tuple[str, str]] = []
    twin_items: list[tuple[str, str]] = []
    for s in sections:
        is_twin = s.anchor.startswith("national")
        for k, v in s.summary:
            if not is_twin:
                absolute = k in ("GPUs", "NPUs") or "(MW)" in k or "/year" in k
                plan_items.append((nat(k) if absolute else k, v))
            else:
                twin_items.append((twin(k) if k in _SAMPLED else k, v))
    power = next((i for i, (k, _) in enumerate(plan_items)
                  if k.startswith(("facility power", "시설 전력"))), len(plan_items) - 1)
    side = [it for it in twin_items if "facility power" in it[0] or "시설 전력" in it[0]]
    rest = [it for it in twin_items if it not in side]
    strip = (*plan_items[:power + 1], *side, *plan_items[power + 1:], *rest)
    return [replace(s, summary=()) for s in sections], strip


def print_report(result: ReportResult, c: Console) -> None:
    """One line per stage on a terminal (from the typed headline)."""
    head = result.headline()
    t = Table("stage", "result", title=f"aifab report: {head.scenario}", title_justify="left")
    p = head.plan
    split = (f" ({p.gpus:,} GPUs, {p.npus:,} NPUs)"
             if p.gpus is not None and p.npus is not None else "")
    t.add_row("plan", f"{p.accelerators:,} accelerators{split}, "
              f"{p.facility_power_mw:,.0f} MW, {p.annual_energy_twh:.2f} TWh/yr ("
              + ", ".join(f"{v:.1%} of {k}" for k, v in head.shares.items()) + ")")
    if head.site is not None:
        wait = ", ".join(f"{y}: {n:,}" for y, n in head.site.unpowered_gpus_by_year.items())
        t.add_row("site", f"{head.site.status}; GPUs waiting for power {wait}")
    if head.simulate is not None:
        s, st = head.simulate, head.simulate.stranded
        t.add_row("simulate", f"{s.days:g} days, {s.policy}: utilisation "
                  f"{s.utilization:.1%}; stranded power {st.power:.1%}, fragmentation "
                  f"{st.fragmentation:.1%}, no demand {st.idle:.1%}")
    c.print(t)
