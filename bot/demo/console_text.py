"""The demo console's own words: its banner, its help and the list of demo people (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.demo.stack import DemoPerson, DemoStack

CONSOLE_HELP = """\
Commands (anything else is sent as /recordings <text>):
  inbound yesterday            search; same as /recordings inbound yesterday
  /recordings help             the bot's help: the whole search grammar
  /recordings                  the search form (a modal), field by field
  home                         open the app's Home tab (App Home)
  shortcut                     the "Search recordings" shortcut: the search form
  shortcut "call +1 732 555 0100"  the message shortcut "Find recordings for this number"
                               on a message with that text
  notify me inbound >1m        a DM for each new call of yours that matches, as it comes:
                               calls keep ending while the demo runs (about one a minute)
  1, 2, …                      press a numbered button of the last reply
  press next                   press the first button whose label contains "next"
  user:@dana last 30d          name a person with @ (as if picked from Slack's list)
  as admin  (as sam, as dana)  act as another person; `people` lists them
  ?                            this list;  quit  leaves
What the bot posts while you are at the prompt (an export's progress and ready notice, a
new-recording notice) is printed as it arrives, above the line you are typing."""


def people_text(people: Sequence[DemoPerson]) -> str:
    rows = [
        f"  @{p.alias:<6} {p.name:<11} {p.user_id:<10} {p.tz:<20} {p.email}"
        + (" · recordings admin" if p.is_admin else "")
        for p in people
    ]
    return "People in this workspace (@name in a command means that person):\n" + "\n".join(rows)


def banner(stack: DemoStack, me: DemoPerson, *, log_path: str | None = None) -> str:
    logs = f"  log lines: {log_path}\n" if log_path else ""
    return (
        "recordings-bot demo: the bot, a fake Slack workspace and a simulated VBC account,\n"
        "all on this machine; nothing here talks to Slack or Vonage. Type what a person\n"
        "would type in Slack: each command and click reaches the bot as a signed Slack\n"
        "request, and what the bot shows that person is printed below.\n"
        f"  bot: {stack.server.url}  ·  VBC simulator: {stack.sim.url}\n"
        f"{logs}\n"
        f"You are {me.name} ({me.user_id}, time zone {me.tz}). Your Slack email\n"
        f"matches VBC user {me.vbc_name}, so the bot links you on first use.\n"
        f"{people_text(stack.people)}\n"
        "To name a person in a command type @ and their name, e.g. `user:@dana last 30d`\n"
        "or `link @sam <email>` (admins only): the console sends it the way Slack does\n"
        f"when you pick someone from the list ({stack.people[0].mention}).\n"
        "New calls end at the simulator now and then; to end five now, from another terminal:\n"
        f"  curl -X POST {stack.sim.url}/_sim/arrivals -d '{{\"burst\": 5}}'\n\n"
        f"{CONSOLE_HELP}\n"
    )
