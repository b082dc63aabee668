"""Demo catalogue for `manage.py seed_demo`: Indian stores, categories and gift cards.

The store names are real Indian brands so that the demo reads like the real site; the descriptions, rates and
offers are made up.
"""

from __future__ import annotations

# (slug, name, parent slug or None, description)
CATEGORIES = [
    ("fashion", "Fashion", None, "Clothing, footwear and accessories for everyone."),
    ("mens-fashion", "Men's Fashion", "fashion", "Shirts, jeans, ethnic wear and more for men."),
    ("womens-fashion", "Women's Fashion", "fashion", "Kurtas, sarees, dresses and western wear."),
    ("footwear", "Footwear", "fashion", "Sneakers, sandals, formal shoes and sports shoes."),
    ("electronics", "Electronics", None, "Phones, laptops, TVs and gadgets."),
    ("mobiles", "Mobiles & Tablets", "electronics", "Smartphones, tablets and accessories."),
    ("laptops", "Laptops & Computers", "electronics", "Laptops, monitors and peripherals."),
    ("beauty", "Beauty & Personal Care", None, "Make-up, skincare, haircare and grooming."),
    ("food", "Food & Dining", None, "Food delivery, restaurants and cafés."),
    ("travel", "Travel", None, "Flights, hotels, buses and holidays."),
    ("flights", "Flights", "travel", "Domestic and international flights."),
    ("hotels", "Hotels", "travel", "Hotels, homestays and resorts."),
    ("grocery", "Grocery", None, "Daily groceries, fruits and vegetables delivered."),
    ("home-kitchen", "Home & Kitchen", None, "Furniture, decor, appliances and kitchenware."),
    ("health", "Health & Pharmacy", None, "Medicines, lab tests and wellness."),
    ("recharge", "Recharge & Bill Payments", None, "Mobile, DTH, electricity and more."),
    ("books-education", "Books & Education", None, "Books, courses and test prep."),
    ("kids", "Kids & Baby", None, "Toys, baby care and kids' fashion."),
    ("sports", "Sports & Fitness", None, "Sportswear, equipment and fitness gear."),
    ("entertainment", "Entertainment", None, "Movies, events and streaming."),
    ("jewellery", "Jewellery", None, "Gold, diamond and fashion jewellery."),
]

# (slug, name, category slug, network, default type, default value, featured)
MERCHANTS = [
    ("amazon", "Amazon", "electronics", "admitad", "percentage", "5.00", True),
    ("flipkart", "Flipkart", "electronics", "admitad", "percentage", "6.00", True),
    ("myntra", "Myntra", "fashion", "vcommission", "percentage", "8.00", True),
    ("ajio", "Ajio", "fashion", "vcommission", "percentage", "10.00", True),
    ("nykaa", "Nykaa", "beauty", "admitad", "percentage", "7.00", True),
    ("swiggy", "Swiggy", "food", "cuelinks", "fixed", "40.00", True),
    ("zomato", "Zomato", "food", "cuelinks", "fixed", "40.00", False),
    ("makemytrip", "MakeMyTrip", "travel", "admitad", "fixed", "350.00", True),
    ("goibibo", "Goibibo", "travel", "admitad", "fixed", "300.00", False),
    ("cleartrip", "Cleartrip", "flights", "vcommission", "fixed", "250.00", False),
    ("easemytrip", "EaseMyTrip", "flights", "vcommission", "fixed", "200.00", False),
    ("yatra", "Yatra", "travel", "cuelinks", "fixed", "200.00", False),
    ("oyo", "OYO", "hotels", "cuelinks", "percentage", "10.00", False),
    ("booking-com", "Booking.com", "hotels", "admitad", "percentage", "4.00", False),
    ("agoda", "Agoda", "hotels", "admitad", "percentage", "5.00", False),
    ("bigbasket", "BigBasket", "grocery", "admitad", "fixed", "60.00", True),
    ("blinkit", "Blinkit", "grocery", "cuelinks", "fixed", "30.00", False),
    ("jiomart", "JioMart", "grocery", "vcommission", "percentage", "3.00", False),
    ("zepto", "Zepto", "grocery", "cuelinks", "fixed", "30.00", False),
    ("croma", "Croma", "electronics", "vcommission", "percentage", "2.50", False),
    ("reliance-digital", "Reliance Digital", "electronics", "vcommission", "percentage", "2.00", False),
    ("vijay-sales", "Vijay Sales", "electronics", "cuelinks", "percentage", "2.00", False),
    ("boat", "boAt", "electronics", "admitad", "percentage", "12.00", True),
    ("noise", "Noise", "electronics", "admitad", "percentage", "11.00", False),
    ("samsung", "Samsung", "mobiles", "admitad", "percentage", "3.00", False),
    ("oneplus", "OnePlus", "mobiles", "vcommission", "percentage", "2.50", False),
    ("xiaomi", "Xiaomi", "mobiles", "cuelinks", "percentage", "3.00", False),
    ("dell", "Dell", "laptops", "admitad", "percentage", "4.00", False),
    ("hp", "HP", "laptops", "admitad", "percentage", "4.00", False),
    ("lenovo", "Lenovo", "laptops", "vcommission", "percentage", "5.00", False),
    ("tata-cliq", "Tata CLiQ", "fashion", "vcommission", "percentage", "7.50", False),
    ("shoppers-stop", "Shoppers Stop", "fashion", "cuelinks", "percentage", "6.00", False),
    ("lifestyle", "Lifestyle", "fashion", "cuelinks", "percentage", "6.00", False),
    ("max-fashion", "Max Fashion", "fashion", "admitad", "percentage", "7.00", False),
    ("bewakoof", "Bewakoof", "mens-fashion", "admitad", "percentage", "12.00", False),
    ("the-souled-store", "The Souled Store", "mens-fashion", "vcommission", "percentage", "10.00", False),
    ("fabindia", "FabIndia", "womens-fashion", "cuelinks", "percentage", "6.00", False),
    ("biba", "Biba", "womens-fashion", "vcommission", "percentage", "9.00", False),
    ("libas", "Libas", "womens-fashion", "admitad", "percentage", "11.00", False),
    ("bata", "Bata", "footwear", "cuelinks", "percentage", "6.00", False),
    ("puma", "Puma", "footwear", "admitad", "percentage", "8.00", True),
    ("adidas", "Adidas", "sports", "admitad", "percentage", "6.00", False),
    ("nike", "Nike", "footwear", "vcommission", "percentage", "5.00", False),
    ("decathlon", "Decathlon", "sports", "cuelinks", "percentage", "3.00", False),
    ("cult-fit", "Cult.fit", "sports", "vcommission", "fixed", "150.00", False),
    ("purplle", "Purplle", "beauty", "admitad", "percentage", "10.00", False),
    ("mamaearth", "Mamaearth", "beauty", "vcommission", "percentage", "14.00", True),
    ("plum", "Plum Goodness", "beauty", "cuelinks", "percentage", "12.00", False),
    ("lakme", "Lakmé", "beauty", "admitad", "percentage", "8.00", False),
    ("beardo", "Beardo", "beauty", "vcommission", "percentage", "15.00", False),
    ("pepperfry", "Pepperfry", "home-kitchen", "admitad", "percentage", "6.00", False),
    ("urban-ladder", "Urban Ladder", "home-kitchen", "vcommission", "percentage", "5.00", False),
    ("ikea", "IKEA", "home-kitchen", "cuelinks", "percentage", "2.00", False),
    ("wakefit", "Wakefit", "home-kitchen", "admitad", "percentage", "9.00", False),
    ("pharmeasy", "PharmEasy", "health", "admitad", "percentage", "8.00", True),
    ("netmeds", "Netmeds", "health", "vcommission", "percentage", "9.00", False),
    ("tata-1mg", "Tata 1mg", "health", "cuelinks", "percentage", "7.00", False),
    ("healthkart", "HealthKart", "health", "admitad", "percentage", "10.00", False),
    ("paytm", "Paytm", "recharge", "cuelinks", "fixed", "20.00", False),
    ("mobikwik", "MobiKwik", "recharge", "vcommission", "fixed", "20.00", False),
    ("airtel", "Airtel", "recharge", "admitad", "fixed", "10.00", False),
    ("unacademy", "Unacademy", "books-education", "vcommission", "percentage", "15.00", False),
    ("byjus", "BYJU'S", "books-education", "admitad", "fixed", "500.00", False),
    ("firstcry", "FirstCry", "kids", "admitad", "percentage", "9.00", True),
    ("hamleys", "Hamleys", "kids", "cuelinks", "percentage", "6.00", False),
    ("bookmyshow", "BookMyShow", "entertainment", "vcommission", "fixed", "50.00", True),
    ("tanishq", "Tanishq", "jewellery", "admitad", "percentage", "2.00", False),
    ("caratlane", "CaratLane", "jewellery", "vcommission", "percentage", "4.00", False),
    ("bluestone", "BlueStone", "jewellery", "cuelinks", "percentage", "5.00", False),
    ("lenskart", "Lenskart", "fashion", "admitad", "percentage", "12.00", True),
]

# Offer templates: (offer type, title pattern, cashback type, value, cap). {m} is the store name. The rule columns
# are an offer's own cashback rule (None: the card shows its store's rate for the offer's category, through the
# one rule, catalog.selectors.cashback_rate_for); all in the round figures real stores use (5%, 7.5%, ₹150).
OFFER_TEMPLATES = [
    ("code", "Flat 20% off on your first order at {m}", None, None, None),
    ("code", "Extra ₹300 off on orders above ₹1,499 at {m}", None, None, None),
    ("code", "{m}: 15% off with HDFC Bank cards", None, None, None),
    ("deal", "{m} end of season sale: up to 70% off", "percentage", "10.00", "500.00"),
    ("deal", "New arrivals at {m} from ₹499", None, None, None),
    ("sale", "{m} Big Savings Days: up to 60% off", None, None, None),
    ("code", "Free delivery on {m} with code", None, None, None),
    ("deal", "Buy 2 get 1 free at {m}", None, None, None),
    ("code", "₹150 off for new {m} users", "fixed", "150.00", None),
    ("sale", "{m} weekend sale: extra 10% off", None, None, None),
]

# How fast a store's clicks track (hours) and how long it takes to confirm a cashback (days), by the store's
# category's top level: travel confirms after the stay, fashion after the return window, and so on.
TRACKING = {
    "travel": (48, 90),
    "fashion": (24, 45),
    "electronics": (24, 60),
    "food": (6, 7),
    "recharge": (1, 2),
    "entertainment": (6, 15),
    "grocery": (24, 15),
}
TRACKING_DEFAULT = (72, 60)

# Gift-card brands: (sku stem, brand name, merchant slug or None, denominations, discount %)
GIFT_CARDS = [
    ("AMZPAY", "Amazon Pay E-Gift Card", "amazon", [100, 250, 500, 1000, 2000, 5000], "0"),
    ("FLPKRT", "Flipkart Gift Card", "flipkart", [250, 500, 1000, 2000, 5000], "0"),
    ("MYNTRA", "Myntra E-Gift Card", "myntra", [500, 1000, 2000, 3000], "3"),
    ("AJIOGC", "Ajio Gift Card", "ajio", [500, 1000, 2500], "4"),
    ("NYKAAG", "Nykaa E-Gift Card", "nykaa", [250, 500, 1000, 2000], "5"),
    ("SWIGGY", "Swiggy Money Gift Card", "swiggy", [100, 250, 500, 1000], "2"),
    ("ZOMATO", "Zomato Gift Card", "zomato", [100, 250, 500, 1000], "2"),
    ("MMTRIP", "MakeMyTrip Holiday Gift Card", "makemytrip", [1000, 2000, 5000, 10000], "3"),
    ("BIGBSK", "BigBasket Gift Card", "bigbasket", [500, 1000, 2000], "2.5"),
    ("CROMAG", "Croma Gift Card", "croma", [500, 1000, 5000], "2"),
    ("RELDIG", "Reliance Digital Gift Card", "reliance-digital", [1000, 2000, 5000], "1.5"),
    ("TATACL", "Tata CLiQ Gift Card", "tata-cliq", [500, 1000, 2000], "4"),
    ("SHSTOP", "Shoppers Stop Gift Card", "shoppers-stop", [500, 1000, 2000, 5000], "5"),
    ("LFSTYL", "Lifestyle Gift Card", "lifestyle", [500, 1000, 2000], "5"),
    ("PUMAGC", "Puma Gift Card", "puma", [1000, 2000, 3000], "6"),
    ("ADIDAS", "Adidas Gift Card", "adidas", [1000, 2000, 5000], "5"),
    ("DECATH", "Decathlon Gift Card", "decathlon", [500, 1000, 2000], "3"),
    ("PEPFRY", "Pepperfry Gift Card", "pepperfry", [1000, 2500, 5000], "6"),
    ("PHRMSY", "PharmEasy Gift Card", "pharmeasy", [250, 500, 1000], "4"),
    ("BMSHOW", "BookMyShow Gift Card", "bookmyshow", [250, 500, 1000], "3"),
    ("TANISQ", "Tanishq Gift Card", "tanishq", [1000, 5000, 10000, 25000], "2"),
    ("CRTLNE", "CaratLane Gift Card", "caratlane", [1000, 2500, 5000], "3"),
    ("LNSKRT", "Lenskart Gift Card", "lenskart", [500, 1000, 2000], "6"),
    ("FRSTCR", "FirstCry Gift Card", "firstcry", [500, 1000, 2000], "5"),
    ("BOATGC", "boAt Gift Card", "boat", [500, 1000, 2000], "8"),
    ("HLTHKT", "HealthKart Gift Card", "healthkart", [500, 1000, 2000], "7"),
    ("COUPAL", "CouponAli Gift Card", None, [100, 250, 500, 1000, 2000], "0"),
]

# The demo staff besides the superuser (DEMO_STAFF_EMAIL): the setting that holds the e-mail, the name, the seeded
# roles (accounts.roles), the departments, and the stores granted (merchant managers). Printed by seed_demo and by
# `make run` (devtools/runner.py); README "Roles and permissions".
STAFF = [
    ("DEMO_AGENT_EMAIL", "Sunil Support", ("support",), ("support",), ()),
    ("DEMO_FINANCE_EMAIL", "Farah Finance", ("finance",), ("finance",), ()),
    ("DEMO_EDITOR_EMAIL", "Esha Editor", ("content-editor",), ("content",), ()),
    ("DEMO_ANALYST_EMAIL", "Anil Analyst", ("analyst",), (), ()),
    ("DEMO_BRAND_EMAIL", "Meera Merchant", ("merchant-manager",), ("partnerships",), ("myntra", "ajio")),
]

# Search keywords (catalog's search_keywords, editable in the admin): the everyday words shoppers type for a
# category or store besides its name. English stemming matches plurals ("shoe" finds "shoes").
CATEGORY_KEYWORDS = {
    "fashion": "clothes, clothing, apparel, dresses, tshirts, jeans, kurtas, ethnic wear",
    "mens-fashion": "shirts, tshirts, jeans, trousers, kurtas, menswear",
    "womens-fashion": "sarees, kurtis, kurtas, dresses, lehengas, tops, womenswear",
    "footwear": "shoes, sneakers, trainers, sandals, chappals, slippers, heels, boots, running shoes",
    "electronics": "gadgets, tv, television, headphones, earbuds, smartwatch, speakers, camera",
    "mobiles": "mobile, phone, smartphone, iphone, android, tablet, ipad, galaxy, charger",
    "laptops": "laptop, notebook, macbook, computer, pc, monitor, keyboard, mouse",
    "beauty": "makeup, lipstick, skincare, haircare, perfume, grooming, cosmetics",
    "food": "pizza, burger, biryani, restaurant, food delivery, meals, dinner, lunch, dominos, cafe",
    "travel": "trip, holiday, vacation, tour, bus, train, cab",
    "flights": "flight, airfare, air tickets, airline",
    "hotels": "hotel, room, stay, resort, homestay",
    "grocery": "groceries, vegetables, fruits, milk, atta, dal, rice, instant delivery",
    "home-kitchen": "furniture, sofa, bed, mattress, decor, kitchen, cookware, appliances",
    "health": "medicine, medicines, pharmacy, lab test, vitamins, supplements, protein",
    "recharge": "recharge, mobile recharge, prepaid, postpaid, dth, electricity bill, bill payment, fastag",
    "books-education": "books, course, courses, exam, test prep, learning, tuition",
    "kids": "toys, baby, diapers, kids clothes, school",
    "sports": "gym, fitness, running, cycling, cricket, football, yoga, sportswear",
    "entertainment": "movies, movie tickets, events, concerts, ott, streaming",
    "jewellery": "jewelry, gold, diamond, rings, earrings, necklace, silver",
}

STORE_KEYWORDS = {
    "amazon": "iphone, mobiles, electronics, books, groceries, fashion, shoes",
    "flipkart": "iphone, mobiles, smartphone, electronics, tv, fashion, shoes",
    "myntra": "clothes, shoes, sneakers, fashion, kurtas",
    "ajio": "clothes, shoes, sneakers, fashion",
    "nykaa": "makeup, lipstick, skincare, beauty",
    "swiggy": "pizza, burger, biryani, food delivery, instamart, groceries",
    "zomato": "pizza, burger, biryani, food delivery, restaurant, dining",
    "croma": "iphone, mobiles, tv, laptop, appliances",
    "reliance-digital": "iphone, mobiles, tv, laptop, appliances",
    "vijay-sales": "iphone, mobiles, tv, laptop, appliances",
    "boat": "earbuds, headphones, speakers, smartwatch",
    "noise": "smartwatch, earbuds, headphones",
    "samsung": "galaxy, mobiles, smartphone, tv",
    "oneplus": "mobiles, smartphone, earbuds",
    "xiaomi": "redmi, mobiles, smartphone",
    "bata": "shoes, sandals, chappals, footwear",
    "puma": "shoes, sneakers, running shoes, sportswear",
    "adidas": "shoes, sneakers, running shoes, sportswear",
    "nike": "shoes, sneakers, running shoes, sportswear",
    "decathlon": "running shoes, cycling, gym, fitness, sports",
    "paytm": "recharge, mobile recharge, dth, electricity bill, fastag",
    "mobikwik": "recharge, mobile recharge, bill payment",
    "airtel": "recharge, prepaid, postpaid, broadband, dth",
    "bigbasket": "groceries, vegetables, fruits",
    "blinkit": "groceries, instant delivery",
    "zepto": "groceries, instant delivery",
    "pharmeasy": "medicines, pharmacy, lab test",
    "makemytrip": "flights, hotels, holidays, bus",
    "bookmyshow": "movies, movie tickets, events",
    "lenskart": "glasses, spectacles, sunglasses, contact lenses",
    "tanishq": "gold, jewelry, rings",
    "firstcry": "baby, toys, diapers",
}

# Offer copy the way real stores write it, per store category (the category's parent when it has none):
# (offer type, title, description). {m} is the store name; a store gets its category's entries first, then the
# general OFFER_TEMPLATES titles, up to OFFERS_PER_STORE offers.
OFFER_COPY = {
    "footwear": [
        (
            "code",
            "Flat 40% off on running shoes",
            "Running and training shoes from top brands at {m}. Use the code at checkout.",
        ),
        ("deal", "Sneakers starting at ₹999", "Casual sneakers and canvas shoes for men and women at {m}."),
        ("sale", "Buy 2 pairs, get extra 15% off on shoes", "Mix and match sandals, chappals and shoes at {m}."),
    ],
    "fashion": [
        ("deal", "Min. 50% off on kurtas and ethnic wear", "Festive kurtas, kurtis and sets at {m}."),
        (
            "code",
            "Flat ₹500 off on shoes and sneakers above ₹2,499",
            "Top sneaker brands at {m}. Use the code at checkout.",
        ),
        ("sale", "End of Season Sale: up to 80% off on 5,000+ brands", "Clothes, shoes and accessories at {m}."),
    ],
    "electronics": [
        ("deal", "Up to ₹6,000 off on iPhone 16", "Instant bank discount on the iPhone 16 and iPhone 16 Plus at {m}."),
        ("code", "Extra ₹1,000 off on smart TVs", "4K smart TVs from 32 to 65 inches at {m}."),
        ("deal", "Earbuds and headphones from ₹799", "Wireless earbuds, neckbands and headphones at {m}."),
    ],
    "mobiles": [
        ("deal", "Up to ₹6,000 off on iPhone 16", "Exchange offers and bank discounts on the iPhone 16 range at {m}."),
        ("sale", "Smartphones from ₹6,999 with no-cost EMI", "5G smartphones with no-cost EMI on {m}."),
    ],
    "laptops": [
        ("deal", "Student laptops from ₹29,990", "Thin and light laptops for college at {m}."),
        ("code", "Extra ₹3,000 off on gaming laptops", "Gaming laptops with RTX graphics at {m}."),
    ],
    "food": [
        ("deal", "Buy 1 Get 1 on medium pizzas", "Order two medium pizzas on {m} and pay for one."),
        ("code", "60% off up to ₹120 on your first food order", "Biryani, burgers and pizza delivered by {m}."),
        ("deal", "Free delivery on orders above ₹199", "No delivery fee from your favourite restaurants on {m}."),
    ],
    "recharge": [
        ("code", "Mobile recharge cashback: flat ₹50 on ₹299 and above", "Prepaid mobile recharge on {m}."),
        ("deal", "DTH recharge: 5% cashback", "Tata Play, Airtel Digital TV and Dish TV recharges on {m}."),
        ("deal", "Electricity bill payment: up to ₹100 cashback", "Pay your electricity bill on {m}."),
    ],
    "travel": [
        ("code", "Up to 12% off on domestic flights", "Book domestic flights on {m}. Use the code at checkout."),
        ("deal", "Hotels from ₹999 a night", "Budget and premium hotels across India on {m}."),
    ],
    "grocery": [
        ("code", "Flat ₹150 off on your first grocery order", "Fruits, vegetables and daily needs from {m}."),
        ("deal", "Up to 40% off on atta, rice and dal", "Monthly staples at low prices on {m}."),
    ],
    "beauty": [
        ("code", "Buy 1 Get 1 on lipsticks", "Matte and liquid lipsticks at {m}."),
        ("deal", "Up to 50% off on skincare", "Serums, sunscreens and moisturisers at {m}."),
    ],
    "health": [
        ("code", "Flat 25% off on medicines", "Order medicines online from {m}. Prescription needed where applicable."),
        ("deal", "Full body lab test at ₹999", "Home sample collection by {m}."),
    ],
    "home-kitchen": [
        ("sale", "Up to 60% off on sofas and beds", "Furniture for every room at {m}."),
        ("deal", "Cookware from ₹499", "Pans, pressure cookers and kitchen tools at {m}."),
    ],
    "sports": [
        ("deal", "Running shoes from ₹1,499", "Shoes for running, gym and walking at {m}."),
        ("code", "Extra 10% off on fitness gear", "Yoga mats, dumbbells and cycles at {m}."),
    ],
    "entertainment": [
        ("code", "Buy 1 Get 1 movie ticket", "Book two movie tickets on {m} and pay for one."),
    ],
    "kids": [
        ("deal", "Up to 50% off on toys", "Toys and games for every age at {m}."),
    ],
    "jewellery": [
        ("deal", "Up to 25% off on diamond jewellery making charges", "Rings, earrings and necklaces at {m}."),
    ],
    "books-education": [
        ("code", "Flat 30% off on test prep courses", "Online courses and test prep on {m}."),
    ],
}


# The demo's other shoppers (`seed_demo` gives each one to three confirmed cashbacks, so that the home page's
# figures, the analytics dashboard and the admin's lists look like a young site's, not an empty one's).
CROWD_SIZE = 240
CROWD_DOMAIN = "shoppers.couponali.in"  # their e-mails; they have no password and cannot sign in
CROWD_FIRST_NAMES = [
    "Aarav", "Aditi", "Akash", "Ananya", "Arjun", "Divya", "Farhan", "Gayatri", "Harsh", "Ishita", "Karan",
    "Kavya", "Manish", "Meera", "Neha", "Nikhil", "Pooja", "Rahul", "Riya", "Rohan", "Sakshi", "Sanjay",
    "Shreya", "Siddharth", "Sneha", "Tanvi", "Varun", "Vikram", "Zoya", "Lakshmi", "Arun", "Deepa",
]  # fmt: skip
CROWD_LAST_NAMES = [
    "Iyer", "Gupta", "Khan", "Nair", "Patel", "Reddy", "Singh", "Das", "Menon", "Joshi", "Kulkarni", "Bose",
    "Chatterjee", "Agarwal", "Pillai", "Rao", "Mehta", "Shetty", "Banerjee", "Kaur",
]  # fmt: skip
