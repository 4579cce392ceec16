"""Forms of the account pages: e-mail login, sign-up (also from an invitation), the researcher
profile and its address book."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from collections_app.models import Institution

from .models import Address
from .orcid import ORCID_EXAMPLE, normalize_orcid, validate_orcid

User = get_user_model()


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, spoken in e-mails: the e-mail is the login and is case-insensitive.

    It authenticates with ``email=`` (the USERNAME_FIELD), not Django's ``username=``: that is
    the credential django-axes reads, as does the API token login, so failures are counted per
    account. The address is lower-cased first, so that each spelling shares one count.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct e-mail and password. Note that the password is case-sensitive."
        ),
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = _("E-mail")
        username.widget = forms.EmailInput(
            attrs={**username.widget.attrs, "autocomplete": "email", "autofocus": True}
        )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].lower()

    @sensitive_variables()
    def clean(self) -> dict:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            self.user_cache = authenticate(self.request, email=email, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ProfileForm(forms.ModelForm):
    """What a researcher tells about themselves; the ORCID iD may be pasted as its URL."""

    # Wider than the model column so that the orcid.org URL form reaches clean_orcid.
    orcid = forms.CharField(
        label=_("ORCID iD"),
        required=False,
        max_length=64,
        help_text=format_lazy(
            _("Optional, e.g. {example} or https://orcid.org/{example}"), example=ORCID_EXAMPLE
        ),
    )
    home_institution = forms.ModelChoiceField(
        label=_("Home institution in ELViS"),
        queryset=Institution.objects.order_by("name"),
        required=False,
        empty_label=_("— not listed —"),
        help_text=_("Pick it if your institution takes part in ELViS."),
    )

    class Meta:
        model = User
        fields: tuple[str, ...] = (
            "full_name",
            "orcid",
            "home_institution_name",
            "home_institution",
            "preferred_language",
        )
        widgets: dict[str, forms.Widget] = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"})
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Optional in the model (accounts made by scripts), but reviewers need to see a name.
        self.fields["full_name"].required = True

    def clean_orcid(self) -> str:
        value = self.cleaned_data["orcid"].strip()
        if not value:
            return ""
        validate_orcid(value)
        orcid = normalize_orcid(value)
        if User.objects.filter(orcid=orcid).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("This ORCID iD already belongs to another account."), code="orcid_taken"
            )
        return orcid


class SignupForm(BaseUserCreationForm, ProfileForm):
    """A new account: the profile fields plus an e-mail that nobody uses yet, in any case."""

    field_order = ("email", "full_name", "password1", "password2")

    class Meta(ProfileForm.Meta):
        fields = ("email", *ProfileForm.Meta.fields)
        widgets = {
            **ProfileForm.Meta.widgets,
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        labels = {"email": _("E-mail")}

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail already exists. Log in or reset your password."),
                code="email_taken",
            )
        return email


class InvitationSignupForm(SignupForm):
    """A new account from an invitation link: the e-mail is the one invited (the link proved
    it), so it is not asked again."""

    class Meta(SignupForm.Meta):
        fields = ProfileForm.Meta.fields

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.email = email

    def clean(self) -> dict:
        # The e-mail is not a field here: check it is still free (an account may have been
        # made with it since the invitation was sent).
        if User.objects.filter(email__iexact=self.instance.email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail already exists. Log in to accept."),
                code="email_taken",
            )
        return super().clean() or {}  # a form's clean() returns its cleaned_data


class AddressForm(forms.ModelForm):
    """One address of the researcher's address book; ``user`` owns it."""

    class Meta:
        model = Address
        fields = ("label", "lines", "country", "is_default")
        widgets = {"lines": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.user = user

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        others = Address.objects.filter(user=self.instance.user).exclude(pk=self.instance.pk)
        if others.filter(label__iexact=label).exists():
            raise forms.ValidationError(_("You already have an address with this name."))
        return label

    @transaction.atomic
    def save(self, commit: bool = True) -> Address:
        # One default at a time: choosing this one unsets the previous one.
        if self.cleaned_data["is_default"]:
            Address.objects.filter(user=self.instance.user, is_default=True).exclude(
                pk=self.instance.pk
            ).update(is_default=False)
        return super().save(commit)
