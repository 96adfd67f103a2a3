"""Fan-out: deliver one frame to a channel's subscribers (PROTOCOL §18).

`services.fanout.deliver(FanoutJob(...))`. Small channels are posted inside the invocation
with bounded concurrency; channels above `fanout_batch_size` subscribers are split into
per-connection lanes sent through FanoutQueue (SQS FIFO) to FanoutFunction.
"""

from opensock.fanout.delivery import Fanout, FanoutReport
from opensock.fanout.jobs import Audience, FanoutBatch, FanoutJob

__all__ = ["Audience", "Fanout", "FanoutBatch", "FanoutJob", "FanoutReport"]
