"""Connected calendars (SPEC K1-K4): reading people's CalDAV and ICS calendars safely.

Everything here talks to servers on the internet that a user named: every request goes through
``tandem.calendars.fetch``, which refuses private addresses (SSRF) on every hop and caps what it
reads. Recurrences are expanded on our side (recurring-ical-events), never by the server.
"""
