from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import friend_label, referral_overview


@login_required
def home(request):
    overview = referral_overview(user=request.user)
    friends = [(friend_label(r.referred_user), r) for r in overview.friends]
    return render(request, "referrals/home.html", {"overview": overview, "friends": friends})
