export { TokensPage } from './components/tokens-page';
