"""The shared workflow core: every access-request kind (loans, visits, digitisation) runs on it.

- ``table``: the declarative transition table (``Transition``, ``Workflow``);
- ``service.perform``: the one function that changes a request's ``status``;
- ``models``: abstract bases for requests, their history, comments and attachments, and the
  reference counter;
- ``errors``: the domain errors the API and pages map to 400/403/404/409.
"""
