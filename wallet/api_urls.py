from django.urls import path

from . import api

urlpatterns = [
    path("postbacks/<str:network>/", api.PostbackView.as_view(), name="api-postback"),
    path("wallet/", api.WalletView.as_view(), name="api-wallet"),
    path("wallet/transactions/", api.TransactionListView.as_view(), name="api-wallet-transactions"),
    path("wallet/cashback/", api.CashbackListView.as_view(), name="api-wallet-cashback"),
    path("wallet/withdrawals/", api.WithdrawalListView.as_view(), name="api-wallet-withdrawals"),
]
