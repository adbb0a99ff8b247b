"""Fine payments over WeChat Pay: orders, their state machine, notifications and refunds.

States follow GOV.UK Pay::

    created ──provider order──► started ──paid──► success
       │                          ├──expired / payer cancelled / payment error──► failed
       │                          └──superseded by a newer order (closed by us)──► cancelled
       └──provider refused, or never reached it──► error (no money taken)

success, failed, cancelled and error are `finished`. The provider is the truth about money: a
verified SUCCESS turns any order into success (also one we had marked failed or cancelled, when
the payer paid just before the close), and is never lost; if the decision was already paid by
another order, the order is flagged for review so an officer refunds it.

Exactly once: every transition is one conditional UPDATE (`... WHERE status IN (<from>)`), with
its event and the decision's "paid" in the same transaction. PostgreSQL makes a concurrent
updater wait for the row and re-check the condition, so of twenty identical notifications one
changes the row and nineteen change nothing; SQLite serialises writers. The decision is marked
paid with `WHERE paid_on IS NULL` likewise. Points were applied when the decision was made and
payment does not touch them.

The amount of an order is computed when it is created (fine + late surcharge on that Asia/Shanghai
day, `traffic.penalties`) and frozen: the provider is asked for exactly that sum, and a notification
or query reporting any other amount is refused and the order flagged. A new order recomputes.

The modules: `states` (the state machine's transitions, events and flags), `orders` (creating
and superseding), `reading` (who may read an order, its history and refunds), `transactions`
(applying what the provider says), `notifications`, `refunds`, `reconciliation` (and `schedule`,
its loop inside the service), `provider` (the WeChat Pay API v3 client), `client` (the app's
one provider client, as the routes' `WeChatPayDep`) and `receipts`.
"""
