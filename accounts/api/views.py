from __future__ import annotations

from rest_framework.views import APIView


class ObtainTokenView(APIView):
    pass
