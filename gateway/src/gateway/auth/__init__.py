"""Sign-in for mobile and H5 apps: WeChat OAuth2 and the gateway's public bearer token."""
