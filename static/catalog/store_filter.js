'use strict';
// The store list filter of the admin changelists (catalog/admin_filters.py, templates/admin/catalog/store_filter.html):
// the store id box becomes Django's own select2 autocomplete (the admin:autocomplete view); picking a store submits
// the filter's form, clearing it goes back to every store.
{
    const $ = django.jQuery;

    $(function() {
        for (const form of document.querySelectorAll('form.store-filter')) {
            const select = form.querySelector('select.store-filter-select');
            const box = form.querySelector('.store-filter-id');
            const id = box.querySelector('input');
            box.hidden = true;
            select.hidden = false;
            $(select).djangoAdminSelect2().on('change', () => {
                id.value = select.value;
                id.disabled = !select.value;  // no empty "?store=" in the address
                form.submit();
            });
        }
    });
}
