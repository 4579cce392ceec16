"""The API of every request kind, built from the registry (``elvis.workflow.kinds``).

Per registered kind, ``viewsets.viewset_for_kind`` builds the resource ``/api/v1/<kind>-requests/``:

- list/retrieve scoped by ``visible_to(user)`` (anything else is a 404);
- create as requester, and edit/delete by the requester while the request is an editable draft;
- one ``POST /<kind>-requests/<id>/<action>/`` per row of the kind's table (``transitions``);
- the comment thread and the attachments, with downloads checked against visibility.

``errors`` turns the core's domain errors into the contract's answers; ``serializers`` holds
what every kind shows (and the shared item shape), ``filters`` the shared query filters.
"""
