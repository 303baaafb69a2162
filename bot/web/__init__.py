"""The Sanic app: routes, request/response models, auth, errors, rate limits, live events and
static assets."""
