def chinese_first(get_response):
    """Pages open in Chinese until the user picks English with the switch
    (kept in the language cookie). The browser's Accept-Language is ignored for
    pages: many Chinese offices run English-language browsers. The API keeps
    honouring it, for machine clients that ask for a language."""

    def middleware(request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return get_response(request)

    return middleware
