#!/usr/bin/env python3
"""Renders Home Assistant MQTT templates with Jinja2, the engine Home Assistant uses, the way its MQTT entities
render them (tests/support/ha_template.hpp calls it).

Input (the file named by the first argument): a JSON list of jobs, each {"template": str} and either
  "payload": str        a state or attribute template against a received payload: `value` is the payload and
                        `value_json` is defined only when the payload parses as JSON (Home Assistant's
                        Template.async_render_with_possible_json_value), or
  "command_value": any  a command template: `value` is what the entity sends (MqttCommandTemplate).
Output (the file named by the second argument): a JSON list, one {"ok": true, "result": str} or
{"ok": false, "error": str} per job, the result stripped as Home Assistant strips it.

Home Assistant renders in a sandboxed environment whose undefined values log when printed or tested for truth and
raise when read from ("'value_json' is undefined"). StrictUndefined raises in every one of those cases, so a
template that would make Home Assistant log anything fails here.
"""
import json
import sys

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)


def render(job):
    variables = {}
    if "command_value" in job:
        variables["value"] = job["command_value"]
    else:
        variables["value"] = job["payload"]
        try:
            variables["value_json"] = json.loads(job["payload"])
        except ValueError:
            pass
    try:
        return {"ok": True, "result": env.from_string(job["template"]).render(variables).strip()}
    except (TemplateError, TypeError, ValueError) as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump([render(job) for job in jobs], f)


main()
