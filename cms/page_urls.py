from django.urls import path

from . import page_views

app_name = "pages"

urlpatterns = [
    path("pages/<slug:slug>/", page_views.page, name="page"),
    path("blog/", page_views.blog, name="blog"),
    path("help/", page_views.help_hub, name="help"),
]
