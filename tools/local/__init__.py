"""The local stack behind `make dev`: the whole service on one port, read from `template.yaml`.

State lives in moto (in-process); handlers run in-process, one invocation at a time per
function; an aiohttp server plays API Gateway (WebSocket + management API), the Function URLs,
the Lambda Invoke API and the template's event sources. Nothing here is deployed, and Lambda
code never imports it.
"""
