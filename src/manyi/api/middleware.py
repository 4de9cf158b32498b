"""Under /api/ every answer is JSON with a `code`, including the ones Django
gives before the API sees the request: an unknown path or a wrong method."""

from django.http import JsonResponse
from django.utils.translation import gettext as _

_BODIES = {
    404: ("not_found", lambda: _("No such API route.")),
    405: ("method_not_allowed", lambda: _("This route does not accept that method.")),
}


def json_api_errors(get_response):
    def middleware(request):
        response = get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in _BODIES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = _BODIES[response.status_code]
            replaced = JsonResponse({"code": code, "message": message()}, status=response.status_code)
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response

    return middleware
