"""The deploy rehearsal behind `make deploy-check` (issue #18): the SAM template transformed to
plain CloudFormation offline, then checked as a deployment would find it. See `__main__.py`."""
