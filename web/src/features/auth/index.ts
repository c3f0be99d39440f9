export { useMe, meKey } from './api/get-me';
export { useLogout } from './api/logout';
export { AuthCard } from './components/auth-card';
export { ChangePasswordCard } from './components/change-password-card';
export { StorageUsageCard } from './components/storage-usage-card';
export { LinkedIdentitiesCard } from './components/linked-identities-card';
export { LoginForm } from './components/login-form';
export { ProviderSignIn } from './components/provider-sign-in';
export { RegisterForm } from './components/register-form';
