"""The sandbox's WeChat Pay API v3 simulator (the platform's side of the protocol).

- `api`: the merchant's API, `/v3/...` (JSAPI order, query, close, refund, trade bill), every
  request's signature verified against the merchant's public key and every answer signed with
  the platform's private key, errors as WeChat's `{"code", "message"}` with its HTTP statuses.
- `page`: the payer's page `/pay/{prepay_id}` (确认支付 / 取消), no script, no CDN.
- `sim`: `/sandbox/pay/...`, the simulation's own JSON API: confirm/cancel/fail a payment,
  knobs for notification delivery, orders and every delivery attempt.
- `notify`: signed, AES-256-GCM encrypted notifications with WeChat's retry schedule.

Kept import-free so that `sandbox.settings` never drags the simulator in.
"""
