"""The in-app guide: what NHS IMPACT asks, how to use each page and how to read its statistics.

Written in the product's own words and shipped with it (works offline). Each section has an
anchor; `guide_link(term)` gives any page a link to the section that explains a term, so the
words on screen and the guide stay one source.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GUIDE_URL",
    "SECTIONS",
    "TERMS",
    "Section",
    "guide_link",
    "help_line",
    "section_for",
]

GUIDE_URL = "guide"


@dataclass(frozen=True)
class Section:
    """One section of the guide: its anchor, title and text (Markdown, no user text)."""

    anchor: str
    title: str
    body: str


SECTIONS: tuple[Section, ...] = (
    Section(
        "nhs-impact",
        "NHS IMPACT and its five components",
        """
NHS IMPACT (Improving Patient Care Together) is NHS England's shared approach to continuous
improvement. It names five components that any improvement method needs:

1. **Building a shared purpose and vision**
2. **Investing in people and culture**
3. **Developing leadership behaviours**
4. **Building improvement capability and capacity**
5. **Embedding improvement into management systems and processes**

Organisations rate themselves on each component with the NHS IMPACT self-assessment. It is for
reflection and planning, not a league table: the dashboard shows each organisation's ratings
and how they change, never a rank.
""",
    ),
    Section(
        "people-and-culture",
        "What 'investing in people and culture' asks in practice",
        """
This dashboard is built around the second component. In practice it asks a system to:

- **involve staff and people with lived experience** in designing improvements: PDSA projects
  and learning visits record who took part, and the Overview shows the share co-designed;
- **visit other organisations to learn**: the Compare page keeps the visits log and suggests
  who could be worth visiting, where they do well on something you want to improve;
- **help people own and improve their everyday work**: the staff-survey questions on voice and
  involvement (for example q3f, *I am able to make improvements happen in my area of work*);
- **do cultural readiness work before a programme**: the Readiness page shows how ready a team
  is *and* how far its people agree;
- **run regular PDSA cycles with measurement**: the PDSA page keeps each project's cycles and
  draws its measures on SPC charts;
- **agree a local way to measure improvement culture** and track it: the culture measure, built
  from survey questions you choose in Settings, versioned so changes to it stay visible.
""",
    ),
    Section(
        "pages",
        "Using each page",
        """
- **Overview**: one row per organisation with its culture figure and change, readiness, NHS
  IMPACT maturity and PDSA activity, each with its variation icon. Choose an organisation for
  its detail.
- **Compare**: organisations side by side with funnel plots and intervals, trends, "who could
  we learn from", the learning-visits log and the board pack.
- **Culture**: the culture measure over time, its dimensions and questions, breakdowns by team
  and staff group, and whether a change is real or noise.
- **Readiness**: readiness scores per team, how far people agree, plain advice, change between
  rounds and the NHS IMPACT self-assessment.
- **PDSA & measures**: projects, cycles on a timeline, and each measure on an SPC chart with the
  cycles marked on it. You can log a cycle or a measure value here.
- **Workshop** and **Join a workshop**: live sessions that people join on their phones with a
  code; results on the big screen once enough people have answered.
- **Upload**: templates, column matching, a report of every problem by row and column, a
  preview, then load. Nothing is loaded until the whole file is right.
- **Settings** (admins): organisations, the small-number threshold, the culture measure,
  readiness instruments, level labels, users and roles.
""",
    ),
    Section(
        "variation",
        "Reading variation: SPC charts and their icons",
        """
A statistical process control (SPC) chart asks one question: *is this change more than the
usual ups and downs?*

- **XmR chart** (for a value measured over time): the centre line is the mean; the limits sit
  2.66 average moving ranges either side. Points outside the limits, a run of seven going the
  same way, seven on one side of the mean, or two of three close to a limit are *special cause*
  variation: something has changed. Everything else is *common cause*: the usual noise.
- **Run chart**: the centre line is the median. A long run on one side or too few crossings of
  the median is a signal. Under about 12 points it cannot say "stable": it says "not enough
  data".
- **Trial limits**: with fewer than 13 points the limits are provisional and marked as such.

The **variation icon** says which: common cause, special cause improvement, special cause
concern, or neutral where a measure has no better direction. Orange points are concern, blue
improvement, grey common cause; the words in each chart's summary say the same without colour.
""",
    ),
    Section(
        "assurance",
        "Assurance: will we hit the target?",
        """
Where a measure has a target, the **assurance icon** compares the target with the chart's
latest limits: if the target is outside the limits on the bad side the process **will
consistently fail** it; outside on the good side it **will consistently pass**; between the
limits it will **hit and miss** at random. Changing that needs a change to the process, not
more effort.
""",
    ),
    Section(
        "p-chart",
        "Proportions over time: p-charts and p' charts",
        """
A **p-chart** plots a percentage (for example the share of positive answers each month) with
limits that widen when fewer people answered. With very large numbers of people the limits
become so narrow that almost every point looks special: then the dashboard uses **Laney's p'
chart**, which widens the limits by how much the points really vary from month to month, and
says so on the chart.
""",
    ),
    Section(
        "funnel",
        "Comparing organisations: funnel plots and intervals",
        """
A **funnel plot** shows each organisation's percentage against how many people answered, with
the system's figure as a line and limits that narrow as numbers grow (95% and 99.8%). An
organisation outside the 99.8% limits differs by more than chance would explain; inside, the
difference may be noise. With thousands of respondents per trust, real differences between
trusts (case mix, size, place) are bigger than sampling noise, so the limits are widened for
**over-dispersion** (Spiegelhalter's method) unless an analyst switches it off; the chart says
which method it used.

**Intervals** (the bars on the "intervals" charts) show the range each figure could plausibly
be, given how many people answered. Overlapping intervals are not a real difference. The
dashboard never ranks organisations in a league table.
""",
    ),
    Section(
        "pp",
        "Percentage points (pp)",
        """
A change from 60% to 65% is **5 percentage points (pp)**, not 5%. The dashboard says "pp" for
differences between percentages.
""",
    ),
    Section(
        "pdsa",
        "Running a PDSA cycle",
        """
The Model for Improvement asks three questions: *what are we trying to accomplish* (an aim with
a number and a date), *how will we know a change is an improvement* (a measure), and *what
changes could we make* (change ideas). Then test changes in small, quick **Plan-Do-Study-Act**
cycles:

1. **Plan**: the change to test, your prediction, and how you will measure it.
2. **Do**: try it, on a small scale first.
3. **Study**: compare what happened with the prediction; look at the measure's SPC chart.
4. **Act**: **adopt**, **adapt** or **abandon** the change, and plan the next cycle.

Log each cycle on the PDSA page; it is marked on the measure's chart so you can see whether a
change was followed by a real shift.
""",
    ),
    Section(
        "readiness",
        "Cultural readiness and alignment (ORIC and r_wg)",
        """
**ORIC** (Organizational Readiness for Implementing Change, Shea and colleagues 2014) asks 12
questions about "people who work here": five on **change commitment** (do we want to do this?)
and seven on **change efficacy** (do we believe we can?). Each subscale is the mean of its
items, from 1 to 5.

A mean alone can hide a split team. **Alignment** shows how far people agree, with the
within-group agreement index **r_wg**: 1 means everyone gave the same answer, 0 means answers
as spread as if people had answered at random. For a subscale the dashboard uses **r_wg(J)**,
which combines its items. 0.7 or more is read as strong agreement, 0.5 to 0.7 moderate, below
0.5 weak. High readiness with weak agreement is a reason to talk before starting, not to start.
""",
    ),
    Section(
        "capability",
        "Improvement capability",
        """
NHS IMPACT's fourth component, **building improvement capability and capacity**, asks how many
people can lead and support improvement. Organisations upload how many people are trained to
each **capability level** as at a date (here {capability_levels}, level 1 first; an admin can
rename the levels in Settings to the words your system uses).

- **People trained** per level is the organisation's figure as at its newest date on or before
  the date you look at: each date's rows are added up over teams and staff groups.
- **Per 1,000 staff** divides by the organisation's staff number (the optional Staff column of
  the organisations file), so organisations of different sizes can be read side by side. With
  no staff number there is no figure per 1,000 staff.
- **Change over time** compares each date with the organisation's previous one.

Compare lists organisations by name: more people trained is not a rank, and the right mix of
levels depends on the organisation. Counts below the suppression threshold are hidden, like
every other figure.
""",
    ),
    Section(
        "case-studies",
        "Case studies: sharing what a project learned",
        """
A case study is a short story of an improvement project, written by its team on the **Case
studies** page: the problem, the aim, who was involved (including people with lived
experience), the changes tested cycle by cycle, the before-and-after chart and what was
learned, with a contact.

- **Start from a PDSA project** and the aim, change ideas, each cycle's change, decision and
  learning, and lived experience involvement are filled in for you to edit. The chart is the
  project's measure with its limits worked out afresh from the **change point** (the date the
  change went in), so you can see whether the process really changed.
- **A draft** is seen only by your organisation's team members and admins. **Publish** it and
  everyone in the system can read it; unpublish to take it back. Every change is in the audit
  log.
- **Download a one-page PDF** to share at a huddle or a board.

The Compare page's "Who could we learn from?" and learning visits link to published case
studies.
""",
    ),
    Section(
        "learning-library",
        "The learning library: what has anyone tried?",
        """
The **Learning library** page searches, in one box, the published case studies, PDSA projects'
aims and change ideas, cycles' predictions and learning, learning visits' themes and learning,
and ideas from workshops. Type what you want to improve (for example *discharge delays*):
results come most relevant first, and words match their variants (*discharging* finds
*discharge*). Narrow the results by organisation, theme, date or the cycle's decision
(adopt, adapt or abandon); each result links to where it came from.

You see what you could see elsewhere in the app: other organisations' projects and cycles are
team-level detail, shown only to those who may see that organisation's detail, and drafts
only to their own organisation. Deleting an upload removes its items from the library at once.

**Ideas from workshops** lists every workshop's ideas with their votes (shown once enough
people have voted). A team can turn an idea into a PDSA project; the project then shows the
idea it came from.
""",
    ),
    Section(
        "suppression",
        "Why some figures are hidden",
        """
To protect people in small groups, any figure based on fewer responses than the threshold
(now fewer than {threshold}; set in Settings) is hidden, shown as *suppressed* with the reason.
Where a hidden group could be worked out by subtracting the groups shown from a total, more
groups are hidden too (*secondary* suppression). Where you choose groups to pool, only groups
shown on their own are pooled. The same rule applies to every page, export and the board pack.
""",
    ),
)

TERMS: dict[str, str] = {
    "xmr": "variation",
    "spc": "variation",
    "run chart": "variation",
    "variation": "variation",
    "assurance": "assurance",
    "p-chart": "p-chart",
    "p' chart": "p-chart",
    "funnel": "funnel",
    "interval": "funnel",
    "over-dispersion": "funnel",
    "pp": "pp",
    "pdsa": "pdsa",
    "oric": "readiness",
    "r_wg": "readiness",
    "alignment": "readiness",
    "suppression": "suppression",
    "nhs impact": "nhs-impact",
    "people and culture": "people-and-culture",
    "case studies": "case-studies",
    "change point": "case-studies",
    "learning library": "learning-library",
    "ideas": "learning-library",
    "capability": "capability",
    "per 1,000 staff": "capability",
}


def section_for(term: str) -> Section:
    """The guide section that explains `term` (KeyError for a term the guide does not cover)."""
    anchor = TERMS[term.lower()]
    return next(s for s in SECTIONS if s.anchor == anchor)


def guide_link(term: str, text: str | None = None) -> str:
    """A Markdown link to the guide section that explains `term`."""
    section = section_for(term)
    return f"[{text or section.title}](/{GUIDE_URL}#{section.anchor})"


def help_line(terms: dict[str, str]) -> str:
    """One line of links to the guide sections a page's terms need: {term: words on screen}."""
    links = " · ".join(guide_link(term, text) for term, text in terms.items())
    return f"How to read this page: {links}"
