"""WeChat's protocols as the suite speaks them, with no web framework or database: account
credentials (`accounts`), message crypto (`crypto`), WeChat Pay v3 signatures and resource
encryption (`pay`), menu limits (`menus`), and the development credentials (`dev`, `pay_dev`)
and demo citizens."""
