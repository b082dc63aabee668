from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.signin, name="login"),
    path("logout/", views.signout, name="logout"),
    path("signup/", views.signup, name="signup"),
    path("verify/", views.verify, name="verify"),
    path("verify/resend/", views.verify_resend, name="verify_resend"),
    path("verify/start/<str:channel>/", views.verify_start, name="verify_start"),
    path("verify/email/<str:token>/", views.verify_email, name="verify_email"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/<str:token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/delete/", views.delete_account, name="delete"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:session_id>/revoke/", views.session_revoke, name="session_revoke"),
    path("sessions/revoke-others/", views.session_revoke_others, name="session_revoke_others"),
    path("kyc/", views.kyc, name="kyc"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
]
