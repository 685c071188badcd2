"""A members-only dataset cannot be told from a name that does not exist (docs/members-only.md).

CKAN's API answers 403 with the dataset's id ("not authorised to read the dataset <uuid>")
to a reader who may not see a private dataset, and 404 to a name nobody published: with
the hub's predictable names (member slug and the source's id) and resource ids (uuid5 of
the dataset's name), an outsider could list which members-only datasets exist. The page
views already answer 404 (`ckan.auth.reveal_private_datasets = false`); these chained
actions make the API and every view that reads through them (downloads, /dataset/<name>.ttl)
answer one same bare 404 whether the dataset is hidden or missing, with nothing of it.
"""

from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk

# Read actions that refuse a private dataset's outsider; the activity and DataStore
# plugins' come from plugins listed before this one (ckan.plugins).
HIDDEN = ("package_show", "resource_show", "resource_view_list", "package_activity_list",
          "datastore_search", "datastore_info")


def _hiding(name: str):
    @tk.chained_action
    @tk.side_effect_free
    def hidden(action, context, data_dict):
        try:
            return action(context, data_dict)
        except (tk.NotAuthorized, tk.ObjectNotFound):
            # One bare 404 for both: the DataStore's own says which resource id it missed.
            raise tk.ObjectNotFound() from None

    return hidden


class HubAccessPlugin(p.SingletonPlugin):
    p.implements(p.IActions)

    def get_actions(self):
        return {name: _hiding(name) for name in HIDDEN}
