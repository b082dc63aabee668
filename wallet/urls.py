from django.urls import path

from . import views

app_name = "wallet"

urlpatterns = [
    path("", views.home, name="home"),
    path("statement/", views.statement, name="statement"),
    path("statement.csv", views.statement_csv, name="statement_csv"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("clicks/", views.clicks, name="clicks"),
]
