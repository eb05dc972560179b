"""Single sign-on: OpenID Connect login per workspace and for the instance, verified email domains."""
