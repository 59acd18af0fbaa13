"""User-facing texts of the hub's pages (French). Issue 3 moves them to message catalogues."""

CLAIM_LABELS = {
    "name": "Vos nom et prénom",
    "given_name": "Votre prénom",
    "family_name": "Votre nom de famille",
    "preferred_username": "Votre identifiant",
    "updated_at": "La date de mise à jour de votre profil",
    "email": "Votre adresse électronique",
    "email_verified": "La vérification de votre adresse électronique",
    "phone_number": "Votre numéro de téléphone mobile",
    "phone_number_verified": "La vérification de votre numéro de téléphone",
    "address": "Votre adresse postale",
    "siret": "Le SIRET de votre structure",
}

ERROR_MESSAGES = {
    "invalid_request": {
        "title": "Demande invalide",
        "message": "La demande de connexion transmise par l'application est invalide. "
        "Retournez sur l'application et réessayez.",
    },
    "invalid_client": {
        "title": "Application inconnue",
        "message": "L'application qui vous a envoyé ici n'est pas enregistrée auprès du service.",
    },
    "unauthorized_client": {
        "title": "Application non autorisée",
        "message": "Cette application n'est pas autorisée à faire cette demande.",
    },
    "unsupported_response_type": {
        "title": "Demande invalide",
        "message": "Ce type de demande n'est pas pris en charge.",
    },
    "not_entitled": {
        "title": "Accès refusé",
        "message": "Votre compte n'est pas habilité à utiliser cette application. "
        "Si vous pensez devoir y accéder, contactez l'assistance de votre structure.",
    },
    "request_expired": {
        "title": "Demande expirée",
        "message": "Cette demande de connexion a expiré. Retournez sur l'application "
        "et recommencez.",
    },
    "csrf": {
        "title": "Formulaire expiré",
        "message": "Le formulaire a expiré ou ne provient pas de ce site. "
        "Rechargez la page et recommencez.",
    },
    "not_found": {"title": "Page introuvable", "message": "La page demandée n'existe pas."},
    "method_not_allowed": {
        "title": "Demande invalide",
        "message": "Cette page ne peut pas être appelée de cette façon.",
    },
    "server_error": {
        "title": "Service momentanément indisponible",
        "message": "Une erreur technique est survenue. Réessayez dans quelques instants.",
    },
}

LOGIN_FAILED = "Identifiant ou mot de passe incorrect."
LOGIN_MISSING = "Saisissez votre identifiant et votre mot de passe."
